/** Which runs a history query covers. */
export interface HistoryWindow {
  /** Runs that started at or after this time, epoch ms (inclusive). @default no lower bound */
  since?: number;
  /** Runs that started before this time, epoch ms (exclusive). @default no upper bound */
  until?: number;
  /** Only runs recorded with this backend (`sandbox_run_details.backend`). @default every run */
  backend?: string;
}

/** The monitor's report fields, over persisted runs. Durations in milliseconds; all 0 when count is 0. */
export interface HistoryReport {
  count: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  alertCount: number;
  /** Nearest rank on ascending durations: index ceil(q * count) - 1, as the monitor does. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface BackendHistoryReport extends HistoryReport {
  backend: string;
}

export interface PhaseHistoryReport {
  backend: string;
  phase: string;
  count: number;
  meanMs: number;
  p95Ms: number;
}

/** Runs with `lowerMs <= duration < upperMs`; the last bucket also holds `duration == upperMs` (the maximum). */
export interface HistogramBucket {
  lowerMs: number;
  upperMs: number;
  count: number;
}
