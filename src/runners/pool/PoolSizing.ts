import { PoolSizer, type AutosizeOptions, type SizeDecision } from './PoolSizer';

/** How often an idle pool re-decides its size (so that it shrinks without runs to trigger it), at most. */
const TICK_MS = 1000;

/**
 * A pool's size, fixed or decided by a PoolSizer: the glue between the policy and a pool of any
 * engine. The pool reports each run and refill here and reads `size`; `onResize` is called when the
 * size changed (the pool then refills or retires idle sandboxes). While started, a timer re-decides
 * every second (or half of shrinkAfterMs), unref'd, so that an idle pool shrinks.
 */
export class PoolSizing {
  private readonly sizer: PoolSizer | null;
  private timer: NodeJS.Timeout | undefined;
  size: number;

  constructor(
    fixedSize: number,
    private readonly autosize: AutosizeOptions | null,
    private readonly onResize: () => void,
    now?: () => number,
  ) {
    this.sizer = autosize ? new PoolSizer(autosize, now) : null;
    this.size = autosize ? autosize.min : fixedSize;
  }

  /** The last decision, or null for a fixed size. */
  decision(): SizeDecision | null {
    return this.sizer?.current() ?? null;
  }

  /**
   * Refills started at once: the option, or for a self-sizing pool the sandboxes being refilled
   * at the measured rate (Little's law: arrival rate × refill time), within its size; with fewer,
   * refills queue and the pool misses whatever its size.
   */
  refillConcurrency(option: number): number {
    const d = this.sizer?.current();
    if (!d || d.refillMs === null) return option;
    return Math.max(option, Math.min(this.size, Math.ceil((d.arrivalRate * d.refillMs) / 1000)));
  }

  start(): void {
    if (!this.autosize || this.timer) return;
    this.timer = setInterval(() => this.decide(), Math.max(10, Math.min(TICK_MS, this.autosize.shrinkAfterMs / 2)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  arrived(missed: boolean): void {
    if (!this.sizer) return;
    this.sizer.arrived(missed);
    this.decide();
  }

  refilled(ms: number): void {
    this.sizer?.refilled(ms);
  }

  private decide(): void {
    if (!this.sizer) return;
    const before = this.size;
    this.size = this.sizer.decide().size;
    if (this.size !== before) this.onResize();
  }
}
