import { SandboxPerfMonitor } from '../sandbox/SandboxPerfMonitor';
import { StateDatabase } from '../state/StateDatabase';
import { chooseDbPath } from '../state/dbPath';
import { UsageError, type CommandIo } from './command';
import { historyPathMessage, historyPathProblem, type HistorySource } from '../state/historyPath';
import { ValidationError } from '../validation';

export interface HistoryPath {
  file: string;
  source: HistorySource;
}

/** The --db line of every command's help, after the flag: what it is and where the history is without it. */
export const DB_HELP = 'history file   [default: $SANDBOX_PERF_DB, else ~/.local/state/sandbox-perf/<dir>-<hash>/state.db]';

const SOURCES = { option: '--db', SANDBOX_PERF_DB: 'SANDBOX_PERF_DB', default: 'the default history' } as const;

/**
 * The history file of a command, by the library's rule (state/dbPath.ts) in the command's
 * environment and working directory: --db, else SANDBOX_PERF_DB, else the default.
 */
export function historyPathFor(flag: unknown, io: CommandIo): HistoryPath {
  try {
    const { file, from } = chooseDbPath(typeof flag === 'string' ? flag : undefined, io.env, io.cwd);
    return { file, source: SOURCES[from] };
  } catch (error) {
    // A --db the library refuses (empty, a NUL byte) is a mistake in the command line.
    if (error instanceof ValidationError) throw new UsageError(`--db: ${error.message}`);
    throw error;
  }
}

/**
 * A usage error unless the path may hold a history: for the commands that read or write one
 * and are of no use without it (report, predict, calibrate, serve), refused before anything runs.
 * (`run` and `compare` still run and count the runs not recorded: openRecording.)
 */
export function assertUsableHistory(where: HistoryPath): void {
  const problem = historyPathProblem(where.file);
  if (problem !== null) throw new UsageError(historyPathMessage(where.source, where.file, problem));
}

/** How long `run` and `compare` wait for their rows to be written before saying they were lost. */
const SETTLE_MS = 5000;
/** Failed writes in a row after which the history counts as unusable (retries run 0.1, 0.2, 0.4 s apart). */
const SETTLE_FAILURES = 3;

export interface Recording {
  monitor: SandboxPerfMonitor;
  /** Starts the writer early; resolves also when the file cannot be opened. */
  open(): Promise<void>;
  /**
   * Waits for the rows to be written (or for the history to prove unusable), then says on stderr
   * how many runs were not recorded and where. Never throws and always settles: the exit code
   * stays the command's whatever state the history is in.
   */
  finish(): Promise<void>;
}

/**
 * A monitor writing to the command's history. A path that cannot be a history (a directory, a
 * FIFO, a device, a /proc file, a symlink loop, under a plain file) is never opened: the runs
 * still happen and are counted as not recorded.
 */
export function openRecording(where: HistoryPath, thresholdMs: number | undefined, io: CommandIo): Recording {
  const threshold = thresholdMs === undefined ? {} : { alertThresholdMs: thresholdMs };
  const problem = historyPathProblem(where.file);
  if (problem !== null) {
    let unrecorded = 0;
    const monitor = new SandboxPerfMonitor({
      sink: {
        insert: () => {
          unrecorded++;
        },
      },
      ...threshold,
    });
    return {
      monitor,
      open: () => Promise.resolve(),
      finish: () => {
        if (unrecorded > 0) {
          io.stderr.write(`sandbox-perf: ${unrecorded} run(s) not recorded: ${historyPathMessage(where.source, where.file, problem)}\n`);
        }
        return Promise.resolve();
      },
    };
  }
  const db = new StateDatabase({ path: where.file });
  const monitor = new SandboxPerfMonitor({ sink: db, ...threshold });
  return { monitor, open: () => db.open(), finish: () => settle(db, io) };
}

async function settle(db: StateDatabase, io: CommandIo): Promise<void> {
  const closed = db.close({ timeoutMs: SETTLE_MS }).then(
    () => true,
    () => true,
  );
  // close() resolves once written; a history that keeps failing is given up on, with a timer that
  // keeps the process alive until then (the library's own timers do not).
  const deadline = Date.now() + SETTLE_MS;
  const state = { closed: false };
  void closed.then(() => (state.closed = true));
  while (!state.closed && Date.now() < deadline && db.health().failedWrites < SETTLE_FAILURES) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const health = db.health();
  const lost = health.queued + health.dropped;
  if (lost > 0) {
    const why = health.lastError ? `${health.lastError.code}: ${health.lastError.message}` : `not written within ${SETTLE_MS} ms`;
    io.stderr.write(`sandbox-perf: ${lost} run(s) not recorded in ${health.path} (${why})\n`);
  }
}
