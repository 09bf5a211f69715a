import type { Worker } from 'node:worker_threads';
import type { SandboxPerfRecord, SandboxRunDetails } from '../sandbox/types';
import { expectation, ValidationError } from '../validation';
import { errorCode, errorMessage, log } from '../log';
import { RecordQueue } from './write/RecordQueue';
import type { RecordBatch } from './write/RecordBatch';
import { SqliteStore, type WriteResult } from './write/SqliteStore';
import { assertRecord, assertRunDetails } from '../sandbox/recordShape';
import { resolveDbPath } from './dbPath';
import { settingsFrom, settleTimeout, type Settings, type StateDatabaseOptions } from './write/settings';
import { spawnWriter } from './write/writerSpawn';
import { TAKEN_OVER, type FromWriter, type ToWriter } from './write/writerProtocol';
import { installExitHooks } from './write/exitHooks';

/** How many times batchSize one transaction may take when rows are waiting. */
const BACKLOG_BATCH_FACTOR = 20;

export { defaultDbPath, resolveDbPath } from './dbPath';

export type { StateDatabaseOptions } from './write/settings';

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

interface Waiter {
  /** Resolved once written + dropped + rejected reaches this count of rows enqueued. */
  target: number;
  resolve: (report: SettleReport) => void;
  timer: NodeJS.Timeout;
}

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

  /** Replaces the process-wide database (the previous one is closed, its rows written first). */
  static async setDefault(db: StateDatabase | StateDatabaseOptions): Promise<StateDatabase> {
    const next = db instanceof StateDatabase ? db : new StateDatabase(db);
    const previous = StateDatabase.defaultDb;
    StateDatabase.defaultDb = next;
    if (previous && previous !== next) await previous.close();
    return next;
  }

  readonly path: string;
  private readonly settings: Settings;
  private readonly queue = new RecordQueue();
  private worker: Worker | undefined;
  private inFlight: RecordBatch | undefined;
  /** Shared with the writer thread (see WriterData.control). */
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  private batchId = 0;
  private ageTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  private started = false;
  private waiters: Waiter[] = [];
  private openWaiters: (() => void)[] = [];
  private enqueued = 0;
  private closing: Promise<SettleReport> | undefined;
  private closed = false;
  private failures = 0;
  private episodeCode: string | undefined;
  private stats = { written: 0, dropped: 0, rejected: 0, abandoned: 0, failedWrites: 0, pruned: 0 };
  private lastError: PersistenceHealth['lastError'] = null;
  private readonly rejectedCodes = new Set<string>();
  private uninstallExitHooks: (() => void) | undefined;

  constructor(options: StateDatabaseOptions = {}) {
    this.settings = settingsFrom(options);
    this.path = resolveDbPath(options.path);
  }

  /**
   * Queues one record (and its backend details) for writing. Never throws for I/O reasons; a
   * malformed record or details object is a TypeError naming the field, and nothing is queued.
   */
  insert(table: 'sandbox_perf_records', record: SandboxPerfRecord, details?: SandboxRunDetails): void {
    if ((table as string) !== 'sandbox_perf_records') {
      throw new ValidationError(expectation('table', "'sandbox_perf_records'", table));
    }
    if (this.closed) throw new Error(`StateDatabase at ${this.path} is closed; records can no longer be queued`);
    // A bad row is a TypeError here, at the caller, rather than a failure inside a batch.
    assertRecord(record);
    if (details !== undefined) assertRunDetails(details);
    this.queue.push(record, details);
    this.enqueued++;
    const queued = this.queue.length;
    if (queued > this.settings.maxQueue) this.dropOverflow();
    if (this.worker === undefined) this.startWriter();
    if (queued >= this.settings.batchSize) {
      if (!this.pumpScheduled && this.inFlight === undefined && this.retryTimer === undefined) {
        this.pumpScheduled = true;
        setImmediate(this.scheduledPump);
      }
    } else if (this.ageTimer === undefined && this.inFlight === undefined && this.retryTimer === undefined) {
      this.ageTimer = setTimeout(this.agedPump, this.settings.flushIntervalMs);
      this.ageTimer.unref();
    }
  }

  /**
   * Starts the writer thread and opens the file now, so that the first records do not share the
   * machine with that start-up (about 40 ms of CPU here: a benchmark's second run paid it). Resolves
   * once done, also when the file cannot be opened: that is reported by the first write, like any
   * other fault. Optional: without it the writer starts with the first record.
   */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`StateDatabase at ${this.path} is closed`));
    if (this.worker === undefined) this.startWriter();
    // Keep the process alive until the writer answers, as for a batch being written.
    this.worker?.ref();
    return new Promise<void>((resolve) => {
      this.openWaiters.push(resolve);
      this.post({ type: 'open' });
    });
  }

  /**
   * Resolves once every row queued before the call is written, or when `timeoutMs` passes
   * (default 30 000) with `complete: false`: it always settles. The timer keeps the process
   * alive until then, so code after `await db.flush()` runs even while the file cannot be written.
   */
  flush(options: { timeoutMs?: number } = {}): Promise<SettleReport> {
    const timeoutMs = settleTimeout(options);
    if (this.queue.length === 0 && this.inFlight === undefined) return Promise.resolve(this.report(0));
    return new Promise<SettleReport>((resolve) => {
      const waiter: Waiter = { target: this.enqueued, resolve, timer: setTimeout(() => this.release(waiter), timeoutMs) };
      this.waiters.push(waiter);
      this.clearRetry();
      this.pump();
    });
  }

  /**
   * Writes every queued row, then stops the writer thread. Idempotent. Settles within about
   * `timeoutMs` (default 30 000) whatever state the file is in: rows still unwritten then are
   * counted in `lost` (and `health().abandoned`) and logged with the path.
   */
  close(options: { timeoutMs?: number } = {}): Promise<SettleReport> {
    const timeoutMs = settleTimeout(options);
    this.closing ??= (async () => {
      const deadline = performance.now() + timeoutMs;
      await this.flush({ timeoutMs });
      this.closed = true;
      this.stopTimers();
      this.uninstallExitHooks?.();
      const worker = this.worker;
      this.worker = undefined;
      if (worker) await this.stopWorker(worker, Math.max(0, deadline - performance.now()));
      const unwritten = this.queue.length + (this.inFlight?.sandboxIds.length ?? 0);
      if (unwritten > 0) {
        this.stats.abandoned += unwritten;
        this.queue.dropOldest(this.queue.length);
        this.inFlight = undefined;
        log(
          `sandbox-perf: ${unwritten} rows lost: closed ${this.path} with rows that could not be written (${this.lastError?.code ?? 'timeout'})`,
        );
      }
      if (StateDatabase.defaultDb === this) StateDatabase.defaultDb = undefined;
      return { ...this.report(0), complete: unwritten === 0 };
    })();
    return this.closing;
  }

  health(): PersistenceHealth {
    return {
      path: this.path,
      queued: this.queue.length + (this.inFlight?.sandboxIds.length ?? 0),
      ...this.stats,
      lost: this.lost(),
      lastError: this.lastError,
      state: this.closed ? 'closed' : this.retryTimer ? 'retrying' : this.inFlight ? 'writing' : 'idle',
    };
  }

  /**
   * Flushes until nothing is queued or in flight, even while rows keep arriving (a runner that
   * goes on recording during shutdown), or until `timeoutMs` passes. The signal hooks use it.
   */
  async drain(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = performance.now() + settleTimeout(options);
    while ((this.queue.length > 0 || this.inFlight !== undefined) && !this.closed) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      await this.flush({ timeoutMs: left });
    }
  }

  /**
   * Last chance at process exit (the exit hook calls it): writes, synchronously on this thread, what
   * is queued and the batch the writer thread was given, unless that thread committed it first. The
   * writer thread begins no batch after this; the database is closed afterwards.
   */
  writeRemainingSync(): void {
    if (this.closed) return;
    this.closed = true;
    const inFlight = this.inFlight;
    if (this.queue.length === 0 && inFlight === undefined) return;
    Atomics.store(this.control, TAKEN_OVER, 1);
    const rest = this.queue.drain();
    // The writer thread may be inside its transaction: wait for its lock as any write would.
    const store = new SqliteStore(this.path, { busyTimeoutMs: this.settings.busyTimeoutMs });
    try {
      const result = store.writeAtExit(inFlight, rest);
      this.stats.written += result.written;
      this.noteRejected(result);
      this.inFlight = undefined;
    } catch (error) {
      const lost = rest.sandboxIds.length + (inFlight?.sandboxIds.length ?? 0);
      this.stats.abandoned += lost;
      log(`sandbox-perf: lost up to ${lost} rows at exit: cannot write ${this.path} (${errorCode(error)}: ${errorMessage(error)})`);
    } finally {
      store.close();
    }
  }

  private startWriter(): void {
    const first = !this.started;
    this.started = true;
    const worker = spawnWriter({ file: this.path, busyTimeoutMs: this.settings.busyTimeoutMs, control: this.control });
    worker.unref();
    worker.on('message', (message: FromWriter) => this.onWriterMessage(message));
    worker.on('error', (error) => {
      log(`sandbox-perf: the writer thread for ${this.path} failed (${errorCode(error)}: ${errorMessage(error)}); restarting it`);
      this.worker = undefined;
      this.releaseOpenWaiters();
      if (this.inFlight) this.onFailed('WRITER_CRASHED', errorMessage(error));
      if (!this.closed) this.startWriter();
    });
    this.worker = worker;
    const retention = this.settings.retention;
    if (retention) this.post({ type: 'prune', retention });
    // A restarted writer (after a crash) reuses the hooks and the prune timer of the first one.
    if (!first) return;
    if (this.settings.handleExit) this.uninstallExitHooks = installExitHooks(this);
    if (retention) {
      this.pruneTimer = setInterval(() => this.post({ type: 'prune', retention }), this.settings.pruneIntervalMs);
      this.pruneTimer.unref();
    }
  }

  private readonly scheduledPump = (): void => {
    this.pumpScheduled = false;
    this.pump();
  };

  private readonly agedPump = (): void => {
    this.ageTimer = undefined;
    this.pump();
  };

  private pump(): void {
    if (this.inFlight !== undefined || this.retryTimer !== undefined || this.closed) return;
    if (this.queue.length === 0) {
      this.releaseReached();
      return;
    }
    if (this.worker === undefined) this.startWriter();
    if (this.ageTimer) {
      clearTimeout(this.ageTimer);
      this.ageTimer = undefined;
    }
    // Under a backlog, bigger transactions: each one rewrites the duration index's pages it
    // touches, so 20 000 rows cost little more than 1 000 (measured: 58 000 → 134 000 rows/s).
    const batch = this.queue.take(this.settings.batchSize * BACKLOG_BATCH_FACTOR);
    this.inFlight = batch;
    // Keep the process alive while a batch is being written, so that exit waits for it.
    this.worker?.ref();
    // Cloned, not transferred: the batch stays here until the writer confirms it, for a retry.
    this.post({ type: 'write', id: ++this.batchId, batch });
  }

  private post(message: ToWriter, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(message, transfer);
  }

  private onWriterMessage(message: FromWriter): void {
    switch (message.type) {
      case 'written':
        this.onWritten(message.result);
        break;
      case 'failed':
        this.onFailed(message.code, message.message);
        break;
      case 'event': {
        const { level, code, message: text } = message.event;
        // Moving a corrupt file aside is said loudly, every time; other events once per episode.
        if (level === 'error' || this.episodeCode !== code) log(`sandbox-perf: ${text} [${code}]`);
        break;
      }
      case 'pruned':
        this.stats.pruned += message.removed;
        break;
      case 'opened':
        this.releaseOpenWaiters();
        break;
      case 'closed':
        break;
    }
  }

  private releaseOpenWaiters(): void {
    const waiters = this.openWaiters;
    this.openWaiters = [];
    if (this.inFlight === undefined) this.worker?.unref();
    for (const resolve of waiters) resolve();
  }

  /** Rows SQLite refused even alone: dropped and counted; said once per SQLite code. */
  private noteRejected(result: WriteResult): void {
    if (result.rejected === 0) return;
    this.stats.rejected += result.rejected;
    const first = result.firstRejected;
    if (first !== undefined && !this.rejectedCodes.has(first.code)) {
      this.rejectedCodes.add(first.code);
      log(
        `sandbox-perf: dropped ${result.rejected} row(s) that ${this.path} refused (${first.code}: ${first.message}; first: ` +
          `${JSON.stringify(first.sandboxId)}); the other rows of the batch were written (counted in health().rejected)`,
      );
    }
  }

  private onWritten(result: WriteResult): void {
    this.inFlight = undefined;
    this.worker?.unref();
    this.stats.written += result.written;
    this.noteRejected(result);
    if (this.episodeCode !== undefined) {
      log(
        `sandbox-perf: ${this.path} is writable again (after ${this.episodeCode}); ${this.queue.length} rows still queued are being written`,
      );
      this.episodeCode = undefined;
    }
    this.failures = 0;
    this.releaseReached();
    const queued = this.queue.length;
    if (queued >= this.settings.batchSize || (queued > 0 && this.waiters.length > 0)) {
      this.pump();
    } else if (queued > 0 && this.ageTimer === undefined) {
      this.ageTimer = setTimeout(this.agedPump, this.settings.flushIntervalMs);
      this.ageTimer.unref();
    }
  }

  private onFailed(code: string, text: string): void {
    const batch = this.inFlight;
    this.inFlight = undefined;
    this.worker?.unref();
    if (batch) this.queue.unshift(batch);
    if (this.queue.length > this.settings.maxQueue) this.dropOverflow();
    this.stats.failedWrites++;
    this.failures++;
    this.lastError = { code, message: text, at: new Date().toISOString() };
    const delay = Math.min(this.settings.retryMaxMs, this.settings.retryBaseMs * 2 ** Math.min(30, this.failures - 1));
    if (this.episodeCode !== code) {
      this.episodeCode = code;
      log(
        `sandbox-perf: cannot write ${this.path} (${code}: ${text}); ${this.queue.length} rows kept in memory ` +
          `(at most ${this.settings.maxQueue}), retrying with backoff`,
      );
    }
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
    this.retryTimer.unref();
  }

  private dropOverflow(): void {
    const dropped = this.queue.dropOldest(this.queue.length - this.settings.maxQueue);
    if (this.stats.dropped === 0) {
      log(
        `sandbox-perf: queue for ${this.path} passed maxQueue (${this.settings.maxQueue}); dropping the oldest rows (counted in health().dropped)`,
      );
    }
    this.stats.dropped += dropped;
  }

  private clearRetry(): void {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  private stopTimers(): void {
    this.clearRetry();
    if (this.ageTimer) clearTimeout(this.ageTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.ageTimer = undefined;
    this.pruneTimer = undefined;
  }

  private lost(): number {
    return this.stats.dropped + this.stats.rejected + this.stats.abandoned;
  }

  private report(pending: number): SettleReport {
    return { path: this.path, complete: pending === 0, pending, lost: this.lost(), lastError: this.lastError };
  }

  /** Asks the writer thread to close its connection; terminates it if it has not answered within `waitMs` (at least 1 s). */
  private async stopWorker(worker: Worker, waitMs: number): Promise<void> {
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const closeMessage: ToWriter = { type: 'close' };
    worker.postMessage(closeMessage);
    worker.ref();
    worker.once('message', () => void worker.terminate());
    // Ref'd: the process stays alive until the thread is gone, however long a write inside it takes.
    const timer = setTimeout(() => void worker.terminate(), Math.max(1000, waitMs));
    await exited;
    clearTimeout(timer);
  }

  private release(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
    waiter.resolve(this.report(Math.max(0, waiter.target - this.settledRows())));
  }

  /** Rows enqueued so far that are written or counted lost (in enqueue order: the queue is FIFO). */
  private settledRows(): number {
    return this.stats.written + this.stats.dropped + this.stats.rejected;
  }

  private releaseReached(): void {
    if (this.waiters.length === 0) return;
    const done = this.settledRows();
    const idle = this.queue.length === 0 && this.inFlight === undefined;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (done >= w.target || idle) {
        clearTimeout(w.timer);
        w.resolve(this.report(0));
      } else {
        still.push(w);
      }
    }
    this.waiters = still;
  }
}
