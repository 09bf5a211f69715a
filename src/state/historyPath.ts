import { inspectDatabaseFile } from './ownership';
import { describeArgument } from '../validation';

/** Where the history path came from, named in messages. */
export type HistorySource = '--db' | 'SANDBOX_PERF_DB' | 'the default history';

/**
 * What makes `file` unusable as a history, without opening it (the ownership check of the
 * database: a FIFO would block, a device or a /proc file is not ours, a text file or a foreign
 * database is left untouched), or null when it may be one.
 */
export function historyPathProblem(file: string): string | null {
  const state = inspectDatabaseFile(file);
  return state.kind === 'refused' ? state.found : null;
}

/** The one message shape for a history path that cannot be used. */
export function historyPathMessage(source: HistorySource, file: string, problem: string): string {
  const name = source === 'the default history' ? source : `\`${source}\``;
  return `Expected ${name} to be a sandbox-perf history file or a path where one can be created, got ${describeArgument(file)} (${problem}); it was left untouched`;
}
