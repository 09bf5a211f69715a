import type { Counter, Gauge } from 'prom-client';
import { asRegisters, collectorRegistry, promClient } from './promClient';
import type { RegistryLike } from './RegistryLike';
import type { CanaryRound } from '../../canary/canaryRound';
import { sanitizeLabelValue } from '../labels';
import { expectation, ValidationError } from '../../validation';

/** Every metric name the canary collector registers (ops/ and docs/exporters.md use exactly these). */
export const CANARY_METRIC_NAMES = Object.freeze({
  ratio: 'sandbox_canary_ratio',
  ratioLow: 'sandbox_canary_ratio_low',
  ratioHigh: 'sandbox_canary_ratio_high',
  fixedOverhead: 'sandbox_canary_fixed_overhead_seconds',
  rounds: 'sandbox_canary_rounds_total',
  cpu: 'sandbox_canary_cpu_seconds_total',
  lastRound: 'sandbox_canary_last_round_timestamp_seconds',
  interval: 'sandbox_canary_interval_seconds',
} as const);

/** What the collector reads of a canary (a Canary from startCanary fits). */
export interface CanarySource {
  /** The workload's key is the `workload` label value (as on sandbox_overhead_seconds; the readable label is in sandbox_workload_info). */
  readonly workload: { readonly key: string; readonly label: string };
  readonly everyMs: number;
  readonly latest: CanaryRound | null;
  readonly stats: { rounds: number; skipped: number; failed: number; cpuMs: number };
}

export interface SandboxCanaryCollectorOptions {
  /** Where the gauges are registered. @default a new Registry owned by this collector */
  registry?: RegistryLike;
  /** The canaries to export (one workload label value each). */
  canary: CanarySource | readonly CanarySource[];
}

function isCanarySource(value: unknown): value is CanarySource {
  const c = value as Partial<CanarySource> | null;
  return typeof c === 'object' && c !== null && typeof c.everyMs === 'number' && typeof c.workload?.key === 'string' && 'latest' in c;
}

/**
 * The canaries' latest rounds as Prometheus series, read at scrape time (nothing is recorded in
 * between): per backend and workload the slowdown inside the command against none
 * (`sandbox_canary_ratio`, its 95 % interval in `_low`/`_high` when the round had two pairs) and
 * the fixed cost per run; per workload the rounds by result, their CPU, the last round's time
 * and the interval. Labels stay bounded: one workload value per canary, the backends it compares.
 */
export class SandboxCanaryCollector {
  readonly registry: RegistryLike;
  private readonly canaries: readonly CanarySource[];
  private readonly registered: string[] = [];

  constructor(options: SandboxCanaryCollectorOptions) {
    this.registry = collectorRegistry(options);
    const list: unknown[] = Array.isArray(options.canary) ? [...(options.canary as unknown[])] : [options.canary];
    const bad = list.findIndex((c) => !isCanarySource(c));
    if (list.length === 0 || bad >= 0) {
      throw new ValidationError(expectation('canary', 'a Canary (startCanary) or an array of them', bad >= 0 ? list[bad] : options.canary));
    }
    this.canaries = list as CanarySource[];
    const N = CANARY_METRIC_NAMES;
    const perBackend = (name: string, help: string, pick: (b: CanaryRound['backends'][number]) => number | null): void => {
      this.gauge(name, help, ['backend', 'workload'], (set) => {
        for (const canary of this.canaries) {
          const workload = sanitizeLabelValue(canary.workload.key);
          for (const b of canary.latest?.backends ?? []) {
            const value = pick(b);
            if (value !== null && Number.isFinite(value)) set({ backend: b.backend, workload }, value);
          }
        }
      });
    };
    perBackend(N.ratio, 'Slowdown inside the command: median commandMs on the backend / on none, latest canary round', (b) => b.ratio);
    perBackend(N.ratioLow, 'Lower bound of the 95 % interval of sandbox_canary_ratio', (b) => b.interval?.low ?? null);
    perBackend(N.ratioHigh, 'Upper bound of the 95 % interval of sandbox_canary_ratio', (b) => b.interval?.high ?? null);
    perBackend(N.fixedOverhead, 'Median durationMs - commandMs per run on the backend, latest canary round, seconds', (b) =>
      b.fixedCostMs === null ? null : b.fixedCostMs / 1000,
    );
    this.gauge(N.lastRound, 'When the latest canary round started, epoch seconds', ['workload'], (set) => {
      for (const c of this.canaries) if (c.latest) set({ workload: sanitizeLabelValue(c.workload.key) }, c.latest.startedAt / 1000);
    });
    this.gauge(N.interval, 'Time between canary rounds, seconds', ['workload'], (set) => {
      for (const c of this.canaries) set({ workload: sanitizeLabelValue(c.workload.key) }, c.everyMs / 1000);
    });
    this.counter(
      N.rounds,
      'Canary rounds by result: completed, failed (could not run) or skipped (due while one ran)',
      ['workload', 'result'],
      (inc) => {
        for (const c of this.canaries) {
          const workload = sanitizeLabelValue(c.workload.key);
          const { rounds, failed, skipped } = c.stats;
          inc({ workload, result: 'completed' }, rounds - failed);
          inc({ workload, result: 'failed' }, failed);
          inc({ workload, result: 'skipped' }, skipped);
        }
      },
    );
    this.counter(N.cpu, 'CPU time the canary rounds used (this process, its children, the containers), seconds', ['workload'], (inc) => {
      for (const c of this.canaries) inc({ workload: sanitizeLabelValue(c.workload.key) }, c.stats.cpuMs / 1000);
    });
  }

  /** The exposition text of the collector's registry. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Removes the canary metrics from the registry. Idempotent. */
  dispose(): void {
    for (const name of this.registered) this.registry.removeSingleMetric(name);
    this.registered.length = 0;
  }

  private gauge<L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fill: (set: (labels: Record<L, string>, value: number) => void) => void,
  ): void {
    const prom = promClient();
    this.registered.push(name);
    new prom.Gauge<L>({
      name,
      help,
      labelNames,
      registers: asRegisters(this.registry),
      collect(this: Gauge<L>) {
        // Reset first: a backend a canary no longer reports must not linger with its old value.
        this.reset();
        fill((labels, value) => this.set(labels as never, value));
      },
    });
  }

  private counter<L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fill: (inc: (labels: Record<L, string>, value: number) => void) => void,
  ): void {
    const prom = promClient();
    this.registered.push(name);
    new prom.Counter<L>({
      name,
      help,
      labelNames,
      registers: asRegisters(this.registry),
      // Totals the canaries keep: read, not counted here.
      collect(this: Counter<L>) {
        this.reset();
        fill((labels, value) => this.inc(labels as never, value));
      },
    });
  }
}
