import type { SettleReport } from './health';

interface Waiter {
  /** Resolved once this many of the rows enqueued are settled (written or counted lost). */
  target: number;
  resolve: (report: SettleReport) => void;
  timer: NodeJS.Timeout;
}

/**
 * The callers of flush() waiting for their rows: each resolves once the rows enqueued before its
 * call are settled, or with the rows still pending when its timeout passes. It always settles.
 */
export class SettleWaiters {
  private waiters: Waiter[] = [];

  /**
   * @param report the report for a waiter with `pending` rows left
   * @param settledRows rows enqueued so far that are written or counted lost (in enqueue order: the queue is FIFO)
   */
  constructor(
    private readonly report: (pending: number) => SettleReport,
    private readonly settledRows: () => number,
  ) {}

  get size(): number {
    return this.waiters.length;
  }

  /** Waits until `target` rows are settled or `timeoutMs` passes; the timer keeps the process alive until then. */
  wait(target: number, timeoutMs: number): Promise<SettleReport> {
    return new Promise<SettleReport>((resolve) => {
      const waiter: Waiter = { target, resolve, timer: setTimeout(() => this.expire(waiter), timeoutMs) };
      this.waiters.push(waiter);
    });
  }

  /** Resolves every waiter whose rows are settled, or all of them when nothing is queued or in flight. */
  releaseReached(idle: boolean): void {
    if (this.waiters.length === 0) return;
    const done = this.settledRows();
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

  private expire(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
    waiter.resolve(this.report(Math.max(0, waiter.target - this.settledRows())));
  }
}
