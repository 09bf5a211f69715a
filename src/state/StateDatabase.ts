import type { SandboxPerfRecord, SandboxRunDetails } from '../sandbox/types';
import { expectation, ValidationError } from '../validation';
import { assertRecord, assertRunDetails } from '../sandbox/recordShape';
import { isHandedOff } from '../sandbox/handOff';
import { resolveDbPath } from './dbPath';
import { settingsFrom, settleTimeout, type StateDatabaseOptions } from './write/settings';
import { BatchWriter } from './write/BatchWriter';
import type { PersistenceHealth, SettleReport } from './write/health';

export { defaultDbPath, resolveDbPath } from './dbPath';
export type { StateDatabaseOptions } from './write/settings';
export type { PersistenceHealth, SettleReport } from './write/health';

/**
 * The SQLite history. `insert` only queues (O(1), no I/O); a writer thread writes batches in one
 * transaction each (WAL, synchronous=NORMAL), flushed by size or age. Failures are counted,
 * logged once per episode with the path and SQLite code, and retried with backoff; rows stay
 * queued (up to maxQueue) until the fault clears.
 *
 * `StateDatabase.insert(...)` (static) writes to the process-wide default database, which opens
 * lazily on the first row: importing the package creates no file and no thread.
 */
export class StateDatabase {
  private static defaultDb: StateDatabase | undefined;

  /** Queues a record for the default database (the call the monitor makes). */
  static insert(table: 'sandbox_perf_records', record: SandboxPerfRecord, details?: SandboxRunDetails): void {
    StateDatabase.getDefault().insert(table, record, details);
  }

  /** The process-wide database, created on first use from SANDBOX_PERF_DB or the default path. */
  static getDefault(): StateDatabase {
    return (StateDatabase.defaultDb ??= new StateDatabase());
  }

  /** Flushes the process-wide database, if one was opened (what the default monitor's flush() waits for); null if none. */
  static flush(options: { timeoutMs?: number } = {}): Promise<SettleReport | null> {
    return StateDatabase.defaultDb?.flush(options) ?? Promise.resolve(null);
  }

  /** Replaces the process-wide database (the previous one is closed, its rows written first). */
  static async setDefault(db: StateDatabase | StateDatabaseOptions): Promise<StateDatabase> {
    const next = db instanceof StateDatabase ? db : new StateDatabase(db);
    const previous = StateDatabase.defaultDb;
    StateDatabase.defaultDb = next;
    if (previous && previous !== next) await previous.close();
    return next;
  }

  readonly path: string;
  private readonly writer: BatchWriter;

  constructor(options: StateDatabaseOptions = {}) {
    const settings = settingsFrom(options);
    this.path = resolveDbPath(options.path);
    this.writer = new BatchWriter(this.path, settings);
  }

  /**
   * Queues one record (and its backend details) for writing. Never throws for I/O reasons; a
   * malformed record or details object is a TypeError naming the field, and nothing is queued.
   */
  insert(table: 'sandbox_perf_records', record: SandboxPerfRecord, details?: SandboxRunDetails): void {
    if ((table as string) !== 'sandbox_perf_records') {
      throw new ValidationError(expectation('table', "'sandbox_perf_records'", table));
    }
    if (this.writer.closed) throw new Error(`StateDatabase at ${this.path} is closed; records can no longer be queued`);
    // A bad row is a TypeError here, at the caller, rather than a failure inside a batch. What a
    // monitor hands off it has checked already (src/sandbox/handOff.ts).
    if (!isHandedOff(record)) {
      assertRecord(record);
      if (details !== undefined) assertRunDetails(details);
    }
    this.writer.enqueue(record, details);
  }

  /**
   * Starts the writer thread and opens the file now, so that the first records do not share the
   * machine with that start-up (about 40 ms of CPU here: a benchmark's second run paid it). Resolves
   * once done, also when the file cannot be opened: that is reported by the first write, like any
   * other fault. Optional: without it the writer starts with the first record.
   */
  open(): Promise<void> {
    return this.writer.open();
  }

  /**
   * Resolves once every row queued before the call is written, or when `timeoutMs` passes
   * (default 30 000) with `complete: false`: it always settles. The timer keeps the process
   * alive until then, so code after `await db.flush()` runs even while the file cannot be written.
   */
  flush(options: { timeoutMs?: number } = {}): Promise<SettleReport> {
    return this.writer.flush(settleTimeout(options));
  }

  /**
   * Writes every queued row, then stops the writer thread. Idempotent. Settles within about
   * `timeoutMs` (default 30 000) whatever state the file is in: rows still unwritten then are
   * counted in `lost` (and `health().abandoned`) and logged with the path.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<SettleReport> {
    const report = await this.writer.close(settleTimeout(options));
    if (StateDatabase.defaultDb === this) StateDatabase.defaultDb = undefined;
    return report;
  }

  health(): PersistenceHealth {
    return this.writer.health();
  }

  /**
   * Flushes until nothing is queued or in flight, even while rows keep arriving (a runner that
   * goes on recording during shutdown), or until `timeoutMs` passes. The signal hooks use it.
   */
  drain(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.writer.drain(settleTimeout(options));
  }

  /**
   * Last chance at process exit (the exit hook calls it): writes, synchronously on this thread, what
   * is queued and the batch the writer thread was given, unless that thread committed it first. The
   * writer thread begins no batch after this; the database is closed afterwards.
   */
  writeRemainingSync(): void {
    this.writer.writeRemainingSync();
  }
}
