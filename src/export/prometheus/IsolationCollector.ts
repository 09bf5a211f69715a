import type { Gauge } from 'prom-client';
import { asRegisters, collectorRegistry, promClient } from './promClient';
import type { RegistryLike } from './RegistryLike';
import { sanitizeLabelValue } from '../labels';
import { sharedIsolationReads, type IsolationSeries, type IsolationSource } from '../isolationSource';

/** Every metric name the isolation collector registers (docs/exporters.md uses exactly these). */
export const ISOLATION_METRIC_NAMES = Object.freeze({
  total: 'sandbox_isolation_cost_seconds',
  low: 'sandbox_isolation_cost_low_seconds',
  high: 'sandbox_isolation_cost_high_seconds',
  fixed: 'sandbox_isolation_fixed_seconds',
  inCommand: 'sandbox_isolation_in_command_seconds',
} as const);

export interface SandboxIsolationCollectorOptions {
  /** Where the gauges are registered. @default a new Registry owned by this collector */
  registry?: RegistryLike;
  /** Read at scrape time (serve: its summary thread over the history). */
  source: IsolationSource;
}

/**
 * The whole cost of isolation per backend and workload as Prometheus gauges, read from the history
 * at scrape time (issue 26.1): `sandbox_isolation_cost_seconds` is the total a run pays against the
 * command alone on none, the time around the command (`sandbox_isolation_fixed_seconds`, what
 * `sandbox_overhead_seconds` observes) plus the command's own slowdown
 * (`sandbox_isolation_in_command_seconds`), with the total's 95 % interval in `_low`/`_high`.
 * Rank backends by the total: gVisor's cost is mostly inside the command, where the overhead
 * histogram does not look. Labels are bounded by the history's workloads and backends.
 */
export class SandboxIsolationCollector {
  readonly registry: RegistryLike;
  private readonly registered: string[] = [];

  constructor(options: SandboxIsolationCollectorOptions) {
    const read = sharedIsolationReads(options.source, 'source');
    this.registry = collectorRegistry(options);
    const N = ISOLATION_METRIC_NAMES;
    const gauge = (name: string, help: string, pick: (s: IsolationSeries) => number): void => {
      this.registered.push(name);
      new (promClient().Gauge)<'backend' | 'workload'>({
        name,
        help,
        labelNames: ['backend', 'workload'],
        registers: asRegisters(this.registry),
        async collect(this: Gauge<'backend' | 'workload'>) {
          const series = await read();
          // Reset first: a workload that left the history must not linger with its old value.
          this.reset();
          for (const s of series) {
            const value = pick(s) / 1000;
            if (Number.isFinite(value))
              this.set({ backend: sanitizeLabelValue(s.backend), workload: sanitizeLabelValue(s.workload) }, value);
          }
        },
      });
    };
    gauge(
      N.total,
      'Whole cost of isolation per run: fixed (around the command) + in the command (against none), seconds',
      (s) => s.isolationMs.total,
    );
    gauge(N.low, 'Lower bound of the 95 % interval of sandbox_isolation_cost_seconds', (s) => s.isolationMs.low);
    gauge(N.high, 'Upper bound of the 95 % interval of sandbox_isolation_cost_seconds', (s) => s.isolationMs.high);
    gauge(N.fixed, 'Mean time around the command per run (durationMs - commandMs), seconds', (s) => s.isolationMs.fixed);
    gauge(N.inCommand, 'Mean command time on the backend minus on none in the same workload, seconds', (s) => s.isolationMs.inCommand);
  }

  /** The exposition text of the collector's registry. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Removes the isolation gauges from the registry. Idempotent. */
  dispose(): void {
    for (const name of this.registered) this.registry.removeSingleMetric(name);
    this.registered.length = 0;
  }
}
