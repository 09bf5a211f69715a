/**
 * The timers that start a write: soon (a full batch), after flushIntervalMs (the oldest row's
 * age), after a backoff delay (a retry), and the retention interval. None keeps the process alive.
 */
export class PumpTimers {
  private ageTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private scheduled = false;

  constructor(
    private readonly pump: () => void,
    private readonly flushIntervalMs: number,
  ) {}

  /** A retry is waiting for its delay: no write starts before it. */
  get retrying(): boolean {
    return this.retryTimer !== undefined;
  }

  /** Pumps on the next turn of the event loop (once, however many rows arrive meanwhile). */
  soon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Pumps after flushIntervalMs unless already armed: the oldest row waits at most that long. */
  aged(): void {
    if (this.ageTimer !== undefined) return;
    this.ageTimer = setTimeout(() => {
      this.ageTimer = undefined;
      this.pump();
    }, this.flushIntervalMs);
    this.ageTimer.unref();
  }

  clearAge(): void {
    if (this.ageTimer) clearTimeout(this.ageTimer);
    this.ageTimer = undefined;
  }

  retryIn(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delayMs);
    this.retryTimer.unref();
  }

  clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  every(intervalMs: number, prune: () => void): void {
    this.pruneTimer = setInterval(prune, intervalMs);
    this.pruneTimer.unref();
  }

  stop(): void {
    this.clearRetry();
    this.clearAge();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
  }
}
