/** What persistence is doing; everything is a count since this StateDatabase was created. */
export interface PersistenceHealth {
  path: string;
  /** Rows waiting, including a batch being written. */
  queued: number;
  written: number;
  /** Oldest rows dropped because the queue passed maxQueue during a fault. */
  dropped: number;
  /** Rows the writer could not store even alone (a bad value that got past validation): dropped, the rest of their batch written. */
  rejected: number;
  /** Rows still unwritten when close() gave up (its timeoutMs passed) or the last write at exit failed. */
  abandoned: number;
  /** dropped + rejected + abandoned: every row this database will never write. */
  lost: number;
  failedWrites: number;
  pruned: number;
  lastError: { code: string; message: string; at: string } | null;
  state: 'idle' | 'writing' | 'retrying' | 'closed';
}

/** What flush() and close() resolve with: they never reject for I/O reasons and always settle by their timeoutMs. */
export interface SettleReport {
  path: string;
  /** True when every row queued before the call was written (or counted lost) before the timeout. */
  complete: boolean;
  /** Rows of that call still unwritten when it settled (0 after close(): they are counted in `lost`). */
  pending: number;
  /** Rows this database will never write (PersistenceHealth.lost). */
  lost: number;
  lastError: PersistenceHealth['lastError'];
}
