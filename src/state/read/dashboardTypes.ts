import type { SandboxOutcome } from '../../sandbox/types';
import type { ChangeMark } from './changeMarks';
import type { WorkloadHistoryReport } from './workloadHistory';
import type { OverheadOverTime } from './overheadOverTime';

export interface DashboardQueryOptions {
  /** Only runs that started at or after this time, epoch ms. @default every run */
  sinceMs?: number;
  /** @default RUN_DURATION_BUCKETS_MS (src/stats/durationBuckets.ts), the Prometheus buckets in ms */
  histogramEdgesMs?: readonly number[];
  /** @default 60 */
  maxTimeBins?: number;
  /** @default 20 */
  recentAlerts?: number;
}

export interface DashboardTotals {
  runs: number;
  alerts: number;
  success: number;
  timeout: number;
  error: number;
  meanMs: number;
  p95Ms: number;
  maxMs: number;
  /** Epoch ms of the first and last run start in range; null without runs. */
  firstStart: number | null;
  lastStart: number | null;
}

export interface DurationHistogram {
  edgesMs: number[];
  /** counts[i] = runs with edgesMs[i-1] < duration <= edgesMs[i]; the last entry counts runs above the last edge. */
  counts: number[];
}

export interface TimeBin {
  /** Epoch ms, a multiple of binMs. */
  start: number;
  success: number;
  timeout: number;
  error: number;
}

export interface RunsOverTime {
  binMs: number;
  /** Contiguous bins (empty ones included) from the first run's bin to the last's. */
  bins: TimeBin[];
}

/** Runs that did not succeed, by outcome. */
export interface FailedRuns {
  timeout: number;
  error: number;
}

/**
 * One backend's runs over every workload. The statistics are those of its successful runs (null
 * when it has none), as `compare` reports them; the others are counted apart in `failed`.
 */
export interface BackendOverhead {
  backend: string;
  /** Successful runs: the count behind the statistics. */
  count: number;
  /** Timed-out and failed runs, left out of every duration. */
  failed: FailedRuns;
  meanMs: number | null;
  /** Sample standard deviation; 0 for a single run. */
  stddevMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  /** Runs over the alert threshold, whatever their outcome. */
  alerts: number;
}

export interface AlertRow {
  sandboxId: string;
  startTime: number;
  durationMs: number;
  outcome: SandboxOutcome;
  /** `unknown` when the run has no details row. */
  backend: string;
}

export interface DashboardSummary {
  schemaVersion: number;
  totals: DashboardTotals;
  histogram: DurationHistogram;
  timeline: RunsOverTime;
  /** Every backend's runs over all workloads, failed ones apart: descriptive only, no ratio (a ratio mixing workloads means nothing). */
  backends: BackendOverhead[];
  /** Per workload (schema 5): outcomes, statistics of successful runs, ratios to `none` within the workload only. */
  workloads: WorkloadHistoryReport[];
  recentAlerts: AlertRow[];
  /** Change points of each backend's recent runs (src/state/read/changeMarks.ts), newest first. */
  changes: ChangeMark[];
  /**
   * Set when the backends set side by side ran on more than one machine fingerprint (schema 6):
   * one line naming the fields that differ. null otherwise.
   */
  machineWarning: string | null;
  /** Per backend over time: the fixed cost (median overheadMs per bin) and the canary's slowdown inside the command per round. */
  overheadOverTime: OverheadOverTime;
}

/** A stored run, as the metrics tail reads it. */
export interface StoredRun {
  id: number;
  sandboxId: string;
  startTime: number;
  durationMs: number;
  outcome: SandboxOutcome;
  alertFired: boolean;
  /** null when the run has no details row. */
  backend: string | null;
  /** The workload key and its readable label, null when the run names none (or the file predates schema 5). */
  workload: string | null;
  workloadLabel: string | null;
  /** What isolation added around the timed command, null when the backend did not time it. */
  overheadMs: number | null;
}
