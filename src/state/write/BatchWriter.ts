import type { Worker } from 'node:worker_threads';
import type { SandboxPerfRecord, SandboxRunDetails } from '../../sandbox/types';
import { errorCode, errorMessage, log } from '../../log';
import { RecordQueue } from './RecordQueue';
import type { RecordBatch } from './RecordBatch';
import type { WriteResult } from './SqliteStore';
import { writeAtExitSync } from './writeAtExit';
import type { Settings } from './settings';
import { TAKEN_OVER, type FromWriter, type ToWriter } from './writerProtocol';
import { startWriterWorker, stopWriterWorker } from './writerWorker';
import { installExitHooks } from './exitHooks';
import type { PersistenceHealth, SettleReport } from './health';
import { SettleWaiters } from './SettleWaiters';
import { WriteCounters } from './WriteCounters';
import { FaultEpisode } from './FaultEpisode';
import { PumpTimers } from './PumpTimers';

/** How many times batchSize one transaction may take when rows are waiting. */
const BACKLOG_BATCH_FACTOR = 20;

/**
 * The write machinery behind StateDatabase: a queue, batches handed to a writer thread (restarted
 * if it crashes), retries with backoff while the file cannot be written, flush waiters, exit
 * hooks and retention. Takes rows already validated; settles every flush and close by its timeout.
 */
export class BatchWriter {
  private readonly queue = new RecordQueue();
  private worker: Worker | undefined;
  private inFlight: RecordBatch | undefined;
  /** Shared with the writer thread (see WriterData.control). */
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  private readonly timers: PumpTimers;
  private started = false;
  private openWaiters: (() => void)[] = [];
  private enqueued = 0;
  private closing: Promise<SettleReport> | undefined;
  private isClosed = false;
  private readonly episode: FaultEpisode;
  private readonly counters: WriteCounters;
  private readonly waiters: SettleWaiters;
  private uninstallExitHooks: (() => void) | undefined;

  constructor(
    readonly path: string,
    private readonly settings: Settings,
  ) {
    this.counters = new WriteCounters(path);
    this.episode = new FaultEpisode(path, settings);
    this.timers = new PumpTimers(() => this.pump(), settings.flushIntervalMs);
    this.waiters = new SettleWaiters(
      (pending) => this.report(pending),
      () => this.counters.settled(),
    );
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Queues one validated row: O(1), no I/O; a write is scheduled by size or age. */
  enqueue(record: SandboxPerfRecord, details: SandboxRunDetails | undefined): void {
    this.queue.push(record, details);
    this.enqueued++;
    const queued = this.queue.length;
    if (queued > this.settings.maxQueue) this.dropOverflow();
    if (this.worker === undefined) this.startWriter();
    if (this.inFlight !== undefined || this.timers.retrying) return;
    if (queued >= this.settings.batchSize) this.timers.soon();
    else this.timers.aged();
  }

  /** See StateDatabase.open(). */
  open(): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error(`StateDatabase at ${this.path} is closed`));
    if (this.worker === undefined) this.startWriter();
    // Keep the process alive until the writer answers, as for a batch being written.
    this.worker?.ref();
    return new Promise<void>((resolve) => {
      this.openWaiters.push(resolve);
      this.post({ type: 'open' });
    });
  }

  /** See StateDatabase.flush(). */
  flush(timeoutMs: number): Promise<SettleReport> {
    if (this.queue.length === 0 && this.inFlight === undefined) return Promise.resolve(this.report(0));
    const settled = this.waiters.wait(this.enqueued, timeoutMs);
    this.timers.clearRetry();
    this.pump();
    return settled;
  }

  /** See StateDatabase.close(). */
  close(timeoutMs: number): Promise<SettleReport> {
    this.closing ??= (async () => {
      const deadline = performance.now() + timeoutMs;
      await this.flush(timeoutMs);
      this.isClosed = true;
      this.timers.stop();
      this.uninstallExitHooks?.();
      const worker = this.worker;
      this.worker = undefined;
      if (worker) await stopWriterWorker(worker, Math.max(0, deadline - performance.now()));
      const unwritten = this.queue.length + (this.inFlight?.sandboxIds.length ?? 0);
      if (unwritten > 0) {
        this.counters.noteAbandoned(unwritten);
        this.queue.dropOldest(this.queue.length);
        this.inFlight = undefined;
      }
      return { ...this.report(0), complete: unwritten === 0 };
    })();
    return this.closing;
  }

  health(): PersistenceHealth {
    return {
      path: this.path,
      queued: this.queue.length + (this.inFlight?.sandboxIds.length ?? 0),
      ...this.counters.counts(),
      lost: this.counters.lost(),
      lastError: this.counters.lastError,
      state: this.isClosed ? 'closed' : this.timers.retrying ? 'retrying' : this.inFlight ? 'writing' : 'idle',
    };
  }

  /** See StateDatabase.drain(). */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while ((this.queue.length > 0 || this.inFlight !== undefined) && !this.isClosed) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      await this.flush(left);
    }
  }

  /** See StateDatabase.writeRemainingSync(). */
  writeRemainingSync(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const inFlight = this.inFlight;
    if (this.queue.length === 0 && inFlight === undefined) return;
    Atomics.store(this.control, TAKEN_OVER, 1);
    if (writeAtExitSync(this.path, this.settings.busyTimeoutMs, inFlight, this.queue.drain(), this.counters)) this.inFlight = undefined;
  }

  private startWriter(): void {
    const first = !this.started;
    this.started = true;
    this.worker = startWriterWorker(
      { file: this.path, busyTimeoutMs: this.settings.busyTimeoutMs, control: this.control },
      (message) => this.onWriterMessage(message),
      (error) => {
        log(`sandbox-perf: the writer thread for ${this.path} failed (${errorCode(error)}: ${errorMessage(error)}); restarting it`);
        this.worker = undefined;
        this.releaseOpenWaiters();
        if (this.inFlight) this.onFailed('WRITER_CRASHED', errorMessage(error));
        if (!this.isClosed) this.startWriter();
      },
    );
    const retention = this.settings.retention;
    if (retention) this.post({ type: 'prune', retention });
    // A restarted writer (after a crash) reuses the hooks and the prune timer of the first one.
    if (!first) return;
    if (this.settings.handleExit) this.uninstallExitHooks = installExitHooks(this);
    if (retention) this.timers.every(this.settings.pruneIntervalMs, () => this.post({ type: 'prune', retention }));
  }

  private pump(): void {
    if (this.inFlight !== undefined || this.timers.retrying || this.isClosed) return;
    if (this.queue.length === 0) {
      this.waiters.releaseReached(this.idle());
      return;
    }
    if (this.worker === undefined) this.startWriter();
    this.timers.clearAge();
    // Under a backlog, bigger transactions: each one rewrites the duration index's pages it
    // touches, so 20 000 rows cost little more than 1 000 (measured: 58 000 → 134 000 rows/s).
    const batch = this.queue.take(this.settings.batchSize * BACKLOG_BATCH_FACTOR);
    this.inFlight = batch;
    // Keep the process alive while a batch is being written, so that exit waits for it.
    this.worker?.ref();
    // Cloned, not transferred: the batch stays here until the writer confirms it, for a retry.
    this.post({ type: 'write', batch });
  }

  private post(message: ToWriter): void {
    this.worker?.postMessage(message);
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
        if (level === 'error' || !this.episode.isCurrent(code)) log(`sandbox-perf: ${text} [${code}]`);
        break;
      }
      case 'pruned':
        this.counters.pruned += message.removed;
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

  private onWritten(result: WriteResult): void {
    this.inFlight = undefined;
    this.worker?.unref();
    this.counters.noteWritten(result);
    this.episode.recovered(this.queue.length);
    this.waiters.releaseReached(this.idle());
    const queued = this.queue.length;
    if (queued >= this.settings.batchSize || (queued > 0 && this.waiters.size > 0)) {
      this.pump();
    } else if (queued > 0) {
      this.timers.aged();
    }
  }

  private onFailed(code: string, text: string): void {
    const batch = this.inFlight;
    this.inFlight = undefined;
    this.worker?.unref();
    if (batch) this.queue.unshift(batch);
    if (this.queue.length > this.settings.maxQueue) this.dropOverflow();
    this.counters.failedWrites++;
    this.counters.lastError = { code, message: text, at: new Date().toISOString() };
    const delay = this.episode.failed(code, text, this.queue.length);
    if (this.isClosed) return;
    this.timers.retryIn(delay);
  }

  private dropOverflow(): void {
    this.counters.noteDropped(this.queue.dropOldest(this.queue.length - this.settings.maxQueue), this.settings.maxQueue);
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.inFlight === undefined;
  }

  private report(pending: number): SettleReport {
    return { path: this.path, complete: pending === 0, pending, lost: this.counters.lost(), lastError: this.counters.lastError };
  }
}
