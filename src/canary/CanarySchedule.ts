/**
 * When canary rounds run: one at once, then one every `everyMs`, on a fixed grid (start + k ·
 * everyMs, so a slow round does not push every later one back). A round never overlaps another:
 * a round still running when the next is due makes that due time a skipped one, counted and told
 * to `onSkip`; the next round starts at the next due time after it ended. The schedule holds one
 * timer at a time and does nothing else on the event loop; the round itself is the caller's
 * (child processes, awaited). Clocks are read through the globals (`Date`, `setTimeout`), so Jest's
 * fake timers drive it in tests.
 */
export interface ScheduleHooks {
  /** Runs one round; the schedule waits for it before another may start. Must not reject. */
  round: () => Promise<void>;
  /** A due time passed while a round was still running (`skipped`: the total so far). */
  onSkip?: (skipped: number) => void;
}

export class CanarySchedule {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private anchor = 0;
  private dueIndex = 0;
  private stopped = false;
  private skippedCount = 0;
  private startedCount = 0;

  constructor(
    private readonly everyMs: number,
    private readonly hooks: ScheduleHooks,
  ) {}

  /** Starts the first round now (on the next turn of the event loop) and the grid from now. */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.anchor = Date.now();
    this.dueIndex = 0;
    this.arm(0);
  }

  /** Rounds started so far. */
  get started(): number {
    return this.startedCount;
  }

  /** Due times that passed while a round was running. */
  get skipped(): number {
    return this.skippedCount;
  }

  /** True while a round runs. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Epoch ms of the next due time; null once stopped. */
  get nextAt(): number | null {
    return this.stopped ? null : this.anchor + this.dueIndex * this.everyMs;
  }

  /** No round starts after this; resolves when the round in flight (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.due(), Math.max(0, delayMs));
  }

  private due(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = Date.now();
    if (this.running !== undefined) {
      this.skippedCount++;
      this.hooks.onSkip?.(this.skippedCount);
    } else {
      this.startedCount++;
      const round = this.hooks.round().finally(() => {
        this.running = undefined;
      });
      this.running = round;
    }
    // The next due time on the grid after now; due times that went by unserved (the event loop
    // or the machine was held up) count as skipped too.
    this.dueIndex++;
    while (this.anchor + this.dueIndex * this.everyMs <= now) {
      this.dueIndex++;
      this.skippedCount++;
      this.hooks.onSkip?.(this.skippedCount);
    }
    this.arm(this.anchor + this.dueIndex * this.everyMs - now);
  }
}
