import { median } from '../../stats/descriptive';
import type { SandboxLifecycle } from './PooledSandbox';
import type { SizeDecision } from './PoolSizer';

/** A pool's state and history, as `health()` returns it and the Prometheus collector exports it. */
export interface PoolHealth {
  backend: string;
  /** What starts its sandboxes (`crun` or `runc` for runc-pool, `docker`, `docker (runsc)`); null before prepare. */
  runtime: string | null;
  /** Sandboxes kept ready now: the `size` option, or the self-sizing pool's current decision. */
  size: number;
  /** A self-sizing pool's last decision (size, target, cause and reason, measured arrival rate and refill time); null for a fixed size. */
  autosize: SizeDecision | null;
  /** The bound on containers held at once (`maxSandboxes`). */
  maxSandboxes: number;
  idle: number;
  starting: number;
  inUse: number;
  /** Used containers being removed in the background. */
  removing: number;
  /** Runs waiting for a sandbox now. */
  waiting: number;
  runs: number;
  /** Runs that found no idle sandbox and waited for one. */
  misses: number;
  /** Sandboxes that became ready, in total and per second over the last minute. */
  refills: number;
  refillsPerSecond: number;
  /** Refills that failed (engine errors, agents that never became ready). */
  failures: number;
  /** Failures since the last success; the refill backs off meanwhile. */
  consecutiveFailures: number;
  /** Delay before the next refill attempt (0 when not backing off). */
  backoffMs: number;
  lastFailure: string | null;
  /** Sandboxes dropped because their agent died or misbehaved (never handed out). */
  discarded: number;
  /** Medians over the last 64 sandboxes of each background step, ms (null before the first); `refillMs` is a whole refill, its start to a ready sandbox. */
  background: {
    createMs: number | null;
    attachMs: number | null;
    startMs: number | null;
    readyMs: number | null;
    removeMs: number | null;
    refillMs: number | null;
  };
  closed: boolean;
}

const RECENT = 64;
const RATE_WINDOW_MS = 60_000;

class Recent {
  private readonly values: number[] = [];
  private next = 0;

  add(value: number): void {
    if (this.values.length < RECENT) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % RECENT;
  }

  median(): number | null {
    return this.values.length === 0 ? null : median(this.values);
  }
}

/** The pool's counters; recording is a few additions, medians are computed when health is read. */
export class PoolStats {
  runs = 0;
  misses = 0;
  refills = 0;
  failures = 0;
  consecutiveFailures = 0;
  discarded = 0;
  lastFailure: string | null = null;
  private readonly readyTimes: number[] = [];
  private readonly steps = {
    create: new Recent(),
    attach: new Recent(),
    start: new Recent(),
    ready: new Recent(),
    remove: new Recent(),
    refill: new Recent(),
  };

  /** The counting part of a pool's health(). */
  counters(): Pick<
    PoolHealth,
    'runs' | 'misses' | 'refills' | 'refillsPerSecond' | 'failures' | 'consecutiveFailures' | 'lastFailure' | 'discarded' | 'background'
  > {
    const { runs, misses, refills, failures, consecutiveFailures, lastFailure, discarded } = this;
    return {
      runs,
      misses,
      refills,
      refillsPerSecond: this.refillsPerSecond(),
      failures,
      consecutiveFailures,
      lastFailure,
      discarded,
      background: this.background(),
    };
  }

  /** A sandbox became ready `refillMs` after its refill started; returns refillMs. */
  refilled(lifecycle: SandboxLifecycle, refillMs: number): number {
    this.refills++;
    this.consecutiveFailures = 0;
    const now = performance.now();
    this.readyTimes.push(now);
    while ((this.readyTimes[0] as number) < now - RATE_WINDOW_MS) this.readyTimes.shift();
    this.steps.create.add(lifecycle.createMs);
    this.steps.attach.add(lifecycle.attachMs);
    this.steps.start.add(lifecycle.startMs);
    this.steps.ready.add(lifecycle.readyMs);
    this.steps.refill.add(refillMs);
    return refillMs;
  }

  failed(reason: string): void {
    this.failures++;
    this.consecutiveFailures++;
    this.lastFailure = reason;
  }

  removed(ms: number): void {
    this.steps.remove.add(ms);
  }

  refillsPerSecond(): number {
    const since = performance.now() - RATE_WINDOW_MS;
    return this.readyTimes.filter((t) => t >= since).length / (RATE_WINDOW_MS / 1000);
  }

  background(): PoolHealth['background'] {
    return {
      createMs: this.steps.create.median(),
      attachMs: this.steps.attach.median(),
      startMs: this.steps.start.median(),
      readyMs: this.steps.ready.median(),
      removeMs: this.steps.remove.median(),
      refillMs: this.steps.refill.median(),
    };
  }
}
