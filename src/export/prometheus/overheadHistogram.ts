import type { Histogram } from 'prom-client';
import { asRegisters, promClient } from './promClient';
import type { RegistryLike } from './RegistryLike';
import type { SandboxRunDetails } from '../../sandbox/types';
import { BackendLabels } from '../labels';

export const OVERHEAD_METRIC_NAME = 'sandbox_overhead_seconds';
/** Overhead runs from tenths of a millisecond (a bare process) to a minute (a cold image pull). */
export const OVERHEAD_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/** @see OverheadHistogram */
export const DEFAULT_MAX_WORKLOADS = 20;

/**
 * `sandbox_overhead_seconds{backend,workload}`: a histogram of `overheadMs`, what isolation added
 * around each command the backend timed (runs without it are not observed). Workload label values
 * are the workloads' short labels, bounded like backends: the first `maxWorkloads` distinct ones,
 * then `other` (the HistoryFeed of a SQLite history admits the busiest first). SQLite keeps them all.
 */
export class OverheadHistogram {
  private readonly histogram: Histogram<'backend' | 'workload'>;
  private readonly workloads: BackendLabels;

  constructor(registry: RegistryLike, maxWorkloads = DEFAULT_MAX_WORKLOADS) {
    this.workloads = new BackendLabels({ maxBackends: maxWorkloads });
    const prom = promClient();
    this.histogram = new prom.Histogram({
      name: OVERHEAD_METRIC_NAME,
      help: 'What isolation added around each timed command (durationMs - commandMs), seconds, by backend and workload',
      labelNames: ['backend', 'workload'],
      buckets: [...OVERHEAD_BUCKETS_SECONDS],
      registers: asRegisters(registry),
    });
  }

  /** Observes a run's overhead when its details carry one; `backend` is the collector's bounded label. */
  observe(backend: string, details: SandboxRunDetails | undefined): void {
    const overheadMs: unknown = details?.overheadMs;
    if (typeof overheadMs !== 'number' || !Number.isFinite(overheadMs)) return;
    const name: unknown = details?.workloadLabel ?? details?.workload;
    const workload = this.workloads.label(typeof name === 'string' && name.length > 0 ? name : undefined);
    // A negative overhead (a clock step on a foreign timer) is clamped: the histogram has no negative buckets.
    this.histogram.observe({ backend, workload }, Math.max(0, overheadMs) / 1000);
  }

  /** Workload names folded into `other`. */
  get foldedWorkloads(): number {
    return this.workloads.foldedCount;
  }
}
