import { errorCode, errorMessage, log } from '../../log';
import type { RecordBatch } from './RecordBatch';
import { SqliteStore } from './SqliteStore';
import type { WriteCounters } from './WriteCounters';

/**
 * The last write at process exit, synchronously on the calling thread: the batch the writer thread
 * was given (unless that thread committed it first) and the rest of the queue. Counted in
 * `counters` (true when written); a failure is counted as abandoned rows and logged with the path, never thrown.
 */
export function writeAtExitSync(
  file: string,
  busyTimeoutMs: number,
  inFlight: RecordBatch | undefined,
  rest: RecordBatch,
  counters: WriteCounters,
): boolean {
  // The writer thread may be inside its transaction: wait for its lock as any write would.
  const store = new SqliteStore(file, { busyTimeoutMs });
  try {
    counters.noteWritten(store.writeAtExit(inFlight, rest));
    return true;
  } catch (error) {
    const lost = rest.sandboxIds.length + (inFlight?.sandboxIds.length ?? 0);
    counters.abandoned += lost;
    log(`sandbox-perf: lost up to ${lost} rows at exit: cannot write ${file} (${errorCode(error)}: ${errorMessage(error)})`);
    return false;
  } finally {
    store.close();
  }
}
