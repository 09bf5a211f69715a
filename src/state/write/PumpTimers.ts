/**
 * The timers that start a write: soon (a full batch), after flushIntervalMs (the oldest row's
 * age), after a backoff delay (a retry), and the retention interval. None keeps the process alive.
 */
export class PumpTimers {
  private ageTimer: NodeJS.Timeout | undefined;
  private ageArming: NodeJS.Immediate | undefined;
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

  /**
   * Pumps after flushIntervalMs unless already armed: the oldest row waits at most that long (and
   * a turn of the event loop). The timer is set on the next turn, not now: a flush in this turn
   * (`compare` flushes after each run) then clears it before it exists, where a cleared Node timer
   * still wakes the loop at its time (Node does not re-arm its one libuv timer on clearTimeout):
   * 50 ms after each run, inside the next run's timed window (issue 27).
   */
  aged(): void {
    if (this.ageTimer !== undefined || this.ageArming !== undefined) return;
    this.ageArming = setImmediate(() => {
      this.ageArming = undefined;
      this.ageTimer = setTimeout(() => {
        this.ageTimer = undefined;
        this.pump();
      }, this.flushIntervalMs);
      this.ageTimer.unref();
    });
  }

  clearAge(): void {
    if (this.ageArming) clearImmediate(this.ageArming);
    this.ageArming = undefined;
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
