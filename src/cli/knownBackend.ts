import type { HistoryReader } from '../state/read/HistoryReader';
import { BACKEND_NAMES } from '../runners/backendNames';
import { printable } from '../printable';
import { describeArgument } from '../validation';
import { UsageError } from './command';

/**
 * A `--sandbox` filter of a view of the history (report, changes): a built-in backend, one the
 * history has runs of (library callers name their own), or one of `also` (changes' `unknown`).
 */
export function assertKnownBackend(backend: string, reader: HistoryReader, also: readonly string[] = []): void {
  if ((BACKEND_NAMES as readonly string[]).includes(backend) || also.includes(backend)) return;
  const recorded = reader.byBackend().map((b) => b.backend);
  if (recorded.includes(backend)) return;
  const known = [...new Set([...BACKEND_NAMES, ...recorded])].map((name) => printable(name));
  throw new UsageError(`Expected \`--sandbox\` to be one of ${known.join(', ')}, got ${describeArgument(printable(backend))}`);
}
