import { asRegisters, collectorRegistry, promClient } from './promClient';
import type { RegistryLike } from './RegistryLike';
import { logOnce } from '../../log';
import type { PoolHealth } from '../../runners/pool/PoolStats';
import type { SizeCause, SizeDecision } from '../../runners/pool/PoolSizer';
import { expectation, ValidationError } from '../../validation';

/** Anything with a pool's `health()` (a Pool from createPool, or its SandboxPool backend). */
export interface PoolHealthSource {
  health(): PoolHealth;
}

/** Every metric name the pool collector registers (docs/exporters.md uses exactly these). */
export const POOL_METRIC_NAMES = Object.freeze({
  sandboxes: 'sandbox_pool_sandboxes',
  size: 'sandbox_pool_size',
  waiting: 'sandbox_pool_waiting_runs',
  runs: 'sandbox_pool_runs_total',
  misses: 'sandbox_pool_misses_total',
  refills: 'sandbox_pool_refills_total',
  failures: 'sandbox_pool_refill_failures_total',
  discarded: 'sandbox_pool_discarded_total',
  refillRate: 'sandbox_pool_refills_per_second',
  backoff: 'sandbox_pool_backoff_seconds',
  background: 'sandbox_pool_background_seconds',
  targetSize: 'sandbox_pool_target_size',
  sizeBounds: 'sandbox_pool_size_bounds',
  arrivalRate: 'sandbox_pool_arrivals_per_second',
  sizeCause: 'sandbox_pool_size_cause',
} as const);

const STATES = ['idle', 'starting', 'inUse', 'removing'] as const;
const STATE_LABELS: Record<(typeof STATES)[number], string> = { idle: 'idle', starting: 'starting', inUse: 'in_use', removing: 'removing' };
const STEPS = ['createMs', 'attachMs', 'startMs', 'readyMs', 'removeMs', 'refillMs'] as const;
const CAUSES: readonly SizeCause[] = ['start', 'little', 'misses', 'hold', 'idle'];

export interface SandboxPoolCollectorOptions {
  /** @default a new Registry owned by this collector (pass the SandboxPerfCollector's to expose both together) */
  registry?: RegistryLike;
  /** Pools to report now; more with add(). */
  pools?: readonly PoolHealthSource[];
}

/**
 * Pool health as Prometheus metrics, read from each pool's `health()` at scrape time: nothing runs
 * on a pool's or a run's path. Series are labelled by backend (`docker-pool`, `gvisor-pool`);
 * two pools of the same backend add up. A pool whose health() throws is skipped with one log line.
 */
export class SandboxPoolCollector {
  readonly registry: RegistryLike;
  private readonly pools = new Set<PoolHealthSource>();
  private readonly names: string[] = [];

  constructor(options: SandboxPoolCollectorOptions = {}) {
    const registry = collectorRegistry(options);
    this.registry = registry;
    const prom = promClient();
    for (const pool of options.pools ?? []) this.add(pool);
    const N = POOL_METRIC_NAMES;
    const read = (): PoolHealth[] => this.read();
    const sum = (rows: PoolHealth[], pick: (h: PoolHealth) => number): Map<string, number> => {
      const totals = new Map<string, number>();
      for (const h of rows) totals.set(h.backend, (totals.get(h.backend) ?? 0) + pick(h));
      return totals;
    };
    const gauge = (name: string, help: string, pick: (h: PoolHealth) => number): void => {
      this.names.push(name);
      new prom.Gauge({
        name,
        help,
        labelNames: ['backend'],
        registers: asRegisters(registry),
        collect() {
          this.reset();
          for (const [backend, value] of sum(read(), pick)) this.set({ backend }, value);
        },
      });
    };
    const counter = (name: string, help: string, pick: (h: PoolHealth) => number): void => {
      this.names.push(name);
      new prom.Counter({
        name,
        help,
        labelNames: ['backend'],
        registers: asRegisters(registry),
        collect() {
          this.reset();
          for (const [backend, value] of sum(read(), pick)) this.inc({ backend }, value);
        },
      });
    };
    this.names.push(N.sandboxes, N.background);
    new prom.Gauge({
      name: N.sandboxes,
      help: 'Pooled sandboxes by state: idle (ready), starting, in_use (serving a run), removing (used, being removed)',
      labelNames: ['backend', 'state'],
      registers: asRegisters(registry),
      collect() {
        this.reset();
        const rows = read();
        for (const state of STATES) {
          for (const [backend, value] of sum(rows, (h) => h[state])) this.set({ backend, state: STATE_LABELS[state] }, value);
        }
      },
    });
    gauge(N.size, 'Sandboxes each pool keeps ready now (its size option, or its self-sizing decision)', (h) => h.size);
    gauge(N.waiting, 'Runs waiting for a pooled sandbox now', (h) => h.waiting);
    counter(N.runs, 'Runs served by pools', (h) => h.runs);
    counter(N.misses, 'Runs that found no idle sandbox and waited for one', (h) => h.misses);
    counter(N.refills, 'Sandboxes that became ready', (h) => h.refills);
    counter(N.failures, 'Refills that failed (engine error, agent never ready)', (h) => h.failures);
    counter(N.discarded, 'Sandboxes dropped because their agent died or misbehaved (never handed out)', (h) => h.discarded);
    gauge(N.refillRate, 'Sandboxes that became ready per second, over the last minute', (h) => h.refillsPerSecond);
    gauge(N.backoff, 'Delay before the next refill attempt after failures, seconds (0: not backing off)', (h) => h.backoffMs / 1000);
    this.sizingMetrics(read);
    new prom.Gauge({
      name: N.background,
      help: 'Median of the last 64 background steps per sandbox (create, attach, start, ready, remove; refill: its start to a ready sandbox), seconds; off the runs',
      labelNames: ['backend', 'step'],
      registers: asRegisters(registry),
      collect() {
        this.reset();
        for (const h of read()) {
          for (const step of STEPS) {
            const ms = h.background[step];
            if (ms !== null) this.set({ backend: h.backend, step: step.slice(0, -2) }, ms / 1000);
          }
        }
      },
    });
  }

  /** A self-sizing pool's decision (size: { min, max }); pools of a fixed size have none of these series. */
  private sizingMetrics(read: () => PoolHealth[]): void {
    const prom = promClient();
    const registers = asRegisters(this.registry);
    const sized = (): { backend: string; d: SizeDecision }[] =>
      read().flatMap((h) => (h.autosize === null ? [] : [{ backend: h.backend, d: h.autosize }]));
    const N = POOL_METRIC_NAMES;
    const perPool = (name: string, help: string, pick: (d: SizeDecision) => number): void => {
      this.names.push(name);
      new prom.Gauge({
        name,
        help,
        labelNames: ['backend'],
        registers,
        collect() {
          this.reset();
          for (const { backend, d } of sized()) this.set({ backend }, pick(d));
        },
      });
    };
    perPool(N.targetSize, 'The size a self-sizing pool measures it needs now, before hysteresis and bounds', (d) => d.target);
    perPool(N.arrivalRate, 'Runs per second a self-sizing pool sees (last 10 s)', (d) => d.arrivalRate);
    this.names.push(N.sizeBounds, N.sizeCause);
    new prom.Gauge({
      name: N.sizeBounds,
      help: 'A self-sizing pool size bounds (its size.min and size.max options)',
      labelNames: ['backend', 'bound'],
      registers,
      collect() {
        this.reset();
        for (const { backend, d } of sized()) {
          this.set({ backend, bound: 'min' }, d.min);
          this.set({ backend, bound: 'max' }, d.max);
        }
      },
    });
    new prom.Gauge({
      name: N.sizeCause,
      help: 'Why a self-sizing pool has its size: 1 for the cause of the last decision (start, little, misses, hold, idle), 0 for the others',
      labelNames: ['backend', 'cause'],
      registers,
      collect() {
        this.reset();
        for (const { backend, d } of sized()) for (const cause of CAUSES) this.set({ backend, cause }, d.cause === cause ? 1 : 0);
      },
    });
  }

  add(pool: PoolHealthSource): () => void {
    if ((pool as unknown) === null || typeof pool !== 'object' || typeof pool.health !== 'function') {
      throw new ValidationError(expectation('pool', 'an object with a health() method (a Pool from createPool)', pool));
    }
    this.pools.add(pool);
    return () => this.pools.delete(pool);
  }

  private read(): PoolHealth[] {
    const rows: PoolHealth[] = [];
    for (const pool of this.pools) {
      try {
        rows.push(pool.health());
      } catch (error) {
        logOnce(error, 'sandbox-perf: a pool health() failed at scrape time');
      }
    }
    return rows;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Removes this collector's metrics from the registry. */
  dispose(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name);
    this.names.length = 0;
    this.pools.clear();
  }
}
