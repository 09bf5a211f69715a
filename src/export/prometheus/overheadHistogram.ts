import type { Histogram } from 'prom-client';
import { asRegisters, promClient } from './promClient';
import type { RegistryLike } from './RegistryLike';

export const OVERHEAD_METRIC_NAME = 'sandbox_overhead_seconds';
/** Overhead runs from tenths of a millisecond (a bare process) to a minute (a cold image pull). */
export const OVERHEAD_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
/**
 * `sandbox_overhead_seconds{backend,workload}`: a histogram of `overheadMs`, what isolation added
 * around each command the backend timed (runs without it are not observed). Label values come
 * resolved and bounded from the MonitorTap: the workload key of the busiest `maxWorkloads`
 * workloads, then `other` (src/export/workloadLabels.ts); SQLite keeps them all.
 */
export class OverheadHistogram {
  private readonly histogram: Histogram<'backend' | 'workload'>;

  constructor(registry: RegistryLike) {
    const prom = promClient();
    this.histogram = new prom.Histogram({
      name: OVERHEAD_METRIC_NAME,
      help: 'What isolation added around each timed command (durationMs - commandMs), seconds, by backend and workload (key)',
      labelNames: ['backend', 'workload'],
      buckets: [...OVERHEAD_BUCKETS_SECONDS],
      registers: asRegisters(registry),
    });
  }

  /** `labels` without `workload` for a run that names none. */
  observe(labels: { backend: string; workload?: string }, seconds: number): void {
    this.histogram.observe(labels, seconds);
  }

  /** Drops one series (a workload that left the exported set). */
  remove(labels: { backend: string; workload?: string }): void {
    this.histogram.remove(labels);
  }
}
