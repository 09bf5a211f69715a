import { OVERHEAD_METRIC_NAME } from './overheadHistogram';

/** Every metric name the collector can register (the ops/ files and the docs use exactly these). */
export const PROMETHEUS_METRIC_NAMES = Object.freeze({
  runDuration: 'sandbox_run_duration_seconds',
  runs: 'sandbox_runs_total',
  overheadAlerts: 'sandbox_overhead_alerts_total',
  workloadInfo: 'sandbox_workload_info',
  activeRuns: 'sandbox_active_runs',
  persistQueued: 'sandbox_perf_persist_queued',
  persistWritten: 'sandbox_perf_persist_written_total',
  persistDropped: 'sandbox_perf_persist_dropped_total',
  persistFailedWrites: 'sandbox_perf_persist_failed_writes_total',
  overhead: OVERHEAD_METRIC_NAME,
} as const);
