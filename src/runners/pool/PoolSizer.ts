import { median } from '../../stats/descriptive';
import { sizeForRate } from './sizeForRate';

/** A self-sizing pool's bounds and goal (the `size: { min, max, … }` form of the pool option). */
export interface AutosizeOptions {
  min: number;
  max: number;
  /** The share of runs that may wait for a sandbox (a miss). */
  targetMissRate: number;
  /** Hysteresis: a smaller size is taken only once it was enough for this long, and a pool without a run for this long returns to `min`. */
  shrinkAfterMs: number;
}

/** Why the size is what it is: `start` (no refill measured yet), `little` (arrival rate × refill time), `misses` (more runs waited than the target allows), `hold` (a smaller size is not yet trusted), `idle` (no run for shrinkAfterMs). */
export type SizeCause = 'start' | 'little' | 'misses' | 'hold' | 'idle';

/** The pool's last sizing decision and what it was made from (part of health()). */
export interface SizeDecision {
  min: number;
  max: number;
  targetMissRate: number;
  /** The size kept now. */
  size: number;
  /** The size the measurements call for now, before hysteresis and bounds. */
  target: number;
  cause: SizeCause;
  reason: string;
  /** Runs per second over the last RATE_WINDOW_MS (over the time since the pool started when shorter, at least one second). */
  arrivalRate: number;
  /** Median time from a refill's start to its sandbox being ready, over the last RECENT refills, ms (null before the first). */
  refillMs: number | null;
  /** Runs that waited for a sandbox, as a share of the runs in the window (0 without runs). */
  missRate: number;
}

export const RATE_WINDOW_MS = 10_000;
const RECENT = 32;
/** Fewest runs in the window before their miss rate is trusted to grow the pool. */
const MIN_RUNS_FOR_MISSES = 8;

/**
 * The policy of a self-sizing pool, engine-independent: it is told of each run (arrival, missed or
 * not) and each refill's duration, and decides the size between min and max. It grows at once (to
 * the Little's-law size of sizeForRate, or by one per refill time while more runs miss than the
 * target), and shrinks only when a smaller size has been enough for shrinkAfterMs (hysteresis: a
 * burst's lull does not throw away the sandboxes its next wave needs), or to min after
 * shrinkAfterMs without a run. `now` is injectable for the tests.
 */
export class PoolSizer {
  private size: number;
  private readonly arrivals: { at: number; missed: boolean }[] = [];
  /** Arrivals in the window that missed (kept as they come and go: no scan per decision). */
  private misses = 0;
  private readonly refills: number[] = [];
  private lastArrival = -Infinity;
  /** When the sizer started watching: the rate's window is shorter until RATE_WINDOW_MS have passed. */
  private readonly since: number;
  private lowSince: number | null = null;
  private lowPeak = 0;
  private lastGrowth = -Infinity;
  private last: SizeDecision;

  constructor(
    private readonly options: AutosizeOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.size = options.min;
    this.since = now();
    this.last = this.decision(options.min, 'start', 'no refill measured yet: min');
  }

  /** A run asked for a sandbox; `missed` when none was idle. */
  arrived(missed: boolean): void {
    this.lastArrival = this.now();
    this.arrivals.push({ at: this.lastArrival, missed });
    if (missed) this.misses++;
  }

  /** A refill took `ms` from its start to a ready sandbox. */
  refilled(ms: number): void {
    this.refills.push(ms);
    if (this.refills.length > RECENT) this.refills.shift();
  }

  current(): SizeDecision {
    return this.last;
  }

  /** Decides the size from what was measured so far; cheap (the window's runs that left it are dropped, nothing is scanned). */
  decide(): SizeDecision {
    const now = this.now();
    while (this.arrivals.length > 0 && (this.arrivals[0] as { at: number }).at < now - RATE_WINDOW_MS) {
      if ((this.arrivals.shift() as { missed: boolean }).missed) this.misses--;
    }
    const { min, max, targetMissRate, shrinkAfterMs } = this.options;
    const clamp = (n: number): number => Math.min(max, Math.max(min, n));
    if (now - this.lastArrival >= shrinkAfterMs) {
      this.lowSince = null;
      this.size = min;
      this.last = this.decision(min, 'idle', `no run in the last ${Math.round(shrinkAfterMs)} ms: min ${min}`);
      return this.last;
    }
    const rate = this.arrivalRate(now);
    const refillMs = this.refillMs();
    const misses = this.misses;
    const missing = this.arrivals.length >= MIN_RUNS_FOR_MISSES && misses / this.arrivals.length > targetMissRate;
    let target = this.size;
    let cause: SizeCause = 'start';
    let reason = 'no refill measured yet';
    if (refillMs !== null) {
      const advice = sizeForRate(rate, refillMs, targetMissRate);
      target = clamp(advice.size);
      cause = 'little';
      reason =
        `${rate.toFixed(2)} runs/s × ${Math.round(refillMs)} ms refill = ${advice.inRefill.toFixed(2)} in refill; ` +
        `${advice.size} keep misses under ${targetMissRate}`;
    }
    // Bursts are not Poisson: while more runs wait than the target allows, one more per refill time.
    const waitSince = refillMs ?? 1000;
    if (missing && target <= this.size && this.size < max && now - this.lastGrowth >= waitSince) {
      target = this.size + 1;
      cause = 'misses';
      reason = `${misses} of the last ${this.arrivals.length} runs waited (target ${targetMissRate}): one more`;
    }
    if (target > this.size) {
      this.size = target;
      this.lastGrowth = now;
      this.lowSince = null;
    } else if (target < this.size && missing) {
      // The runs still wait more than the target allows: the measurements' smaller size is not trusted.
      this.lowSince = null;
      cause = 'hold';
      reason = `${reason}; keeping ${this.size}: ${misses} of the last ${this.arrivals.length} runs waited`;
    } else if (target < this.size) {
      if (this.lowSince === null) [this.lowSince, this.lowPeak] = [now, target];
      this.lowPeak = Math.max(this.lowPeak, target);
      if (now - this.lowSince >= shrinkAfterMs) {
        this.size = clamp(this.lowPeak);
        this.lowSince = null;
      } else {
        cause = 'hold';
        reason = `${reason}; keeping ${this.size} until ${target} has been enough for ${Math.round(shrinkAfterMs)} ms`;
      }
    } else this.lowSince = null;
    this.last = this.decision(target, cause, reason, rate, refillMs, misses);
    return this.last;
  }

  private arrivalRate(now: number): number {
    return this.arrivals.length / (Math.max(1000, Math.min(RATE_WINDOW_MS, now - this.since)) / 1000);
  }

  private refillMs(): number | null {
    return this.refills.length === 0 ? null : median(this.refills);
  }

  private decision(
    target: number,
    cause: SizeCause,
    reason: string,
    arrivalRate = 0,
    refillMs = this.refillMs(),
    misses = 0,
  ): SizeDecision {
    const { min, max, targetMissRate } = this.options;
    const missRate = this.arrivals.length === 0 ? 0 : misses / this.arrivals.length;
    return { min, max, targetMissRate, size: this.size, target, cause, reason, arrivalRate, refillMs, missRate };
  }
}
