import { log } from '../../log';
import type { WriteResult } from './SqliteStore';
import type { PersistenceHealth } from './health';

/** The counts behind PersistenceHealth, and the once-per-code message for rows SQLite refused. */
export class WriteCounters {
  written = 0;
  dropped = 0;
  rejected = 0;
  abandoned = 0;
  failedWrites = 0;
  pruned = 0;
  lastError: PersistenceHealth['lastError'] = null;
  private readonly rejectedCodes = new Set<string>();

  constructor(private readonly path: string) {}

  /** dropped + rejected + abandoned: every row that will never be written. */
  lost(): number {
    return this.dropped + this.rejected + this.abandoned;
  }

  /** Rows enqueued so far that are written or counted lost (in enqueue order: the queue is FIFO). */
  settled(): number {
    return this.written + this.dropped + this.rejected;
  }

  counts(): Pick<PersistenceHealth, 'written' | 'dropped' | 'rejected' | 'abandoned' | 'failedWrites' | 'pruned'> {
    const { written, dropped, rejected, abandoned, failedWrites, pruned } = this;
    return { written, dropped, rejected, abandoned, failedWrites, pruned };
  }

  /** Counts rows still unwritten when close() gave up, saying so with the last error's code. */
  noteAbandoned(unwritten: number): void {
    this.abandoned += unwritten;
    log(
      `sandbox-perf: ${unwritten} rows lost: closed ${this.path} with rows that could not be written (${this.lastError?.code ?? 'timeout'})`,
    );
  }

  /** Counts rows dropped from a full queue; the first drop is said. */
  noteDropped(dropped: number, maxQueue: number): void {
    if (this.dropped === 0) {
      log(`sandbox-perf: queue for ${this.path} passed maxQueue (${maxQueue}); dropping the oldest rows (counted in health().dropped)`);
    }
    this.dropped += dropped;
  }

  /** Counts a write's rows; rows SQLite refused even alone are dropped and said once per SQLite code. */
  noteWritten(result: WriteResult): void {
    this.written += result.written;
    if (result.rejected === 0) return;
    this.rejected += result.rejected;
    const first = result.firstRejected;
    if (first !== undefined && !this.rejectedCodes.has(first.code)) {
      this.rejectedCodes.add(first.code);
      log(
        `sandbox-perf: dropped ${result.rejected} row(s) that ${this.path} refused (${first.code}: ${first.message}; first: ` +
          `${JSON.stringify(first.sandboxId)}); the other rows of the batch were written (counted in health().rejected)`,
      );
    }
  }
}
