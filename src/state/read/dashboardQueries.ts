import { nearestRankIndex } from '../../stats/percentile';
import { RUN_DURATION_BUCKETS_MS } from '../../stats/durationBuckets';
import { durationAtRank, recordsSource } from './historySources';
import { assertReadableVersion } from '../schema';
import { readChangeMarks } from './changeMarks';
import { fingerprintMixWarning, readFingerprints } from '../fingerprintHistory';
import { readWorkloads } from './workloadHistory';
import { readOverheadOverTime } from './overheadOverTime';
import { readBackendOverhead } from './backendOverhead';
import { hasTable, rowGetter, runsWithBackend, since, sinceWindow, type Db } from './dashboardSql';
import type {
  AlertRow,
  DashboardQueryOptions,
  DashboardSummary,
  DashboardTotals,
  DurationHistogram,
  RunsOverTime,
  TimeBin,
} from './dashboardTypes';

export type * from './dashboardTypes';
export { readBackendOverhead } from './backendOverhead';
export { readBusiestWorkloads, readMaxRunId, readRunsAfter } from './runsTail';

/*
 * The SQL behind the dashboard page and `sandbox-perf serve`'s /metrics. Pure functions over a
 * better-sqlite3 connection (opened read-only by the caller); nothing here writes.
 *
 * Percentiles follow the project's one rule (src/stats/percentile.ts): nearest rank on ascending
 * durations, 1-based rank ceil(q * n), computed in SQL with integer arithmetic as
 * (q100 * n + 99) / 100, so a reported p95 is always a duration that was observed; or as one
 * `ORDER BY duration_ms LIMIT 1 OFFSET k` on an index (src/state/read/historySources.ts), the same rank.
 */

/** Candidate widths of a runs-over-time bin, ms; the smallest giving at most `maxTimeBins` bins wins. */
const TIME_BIN_STEPS_MS = [
  1000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000,
  2_592_000_000,
];

export function readTotals(db: Db, options: DashboardQueryOptions = {}): DashboardTotals {
  const from = since(options);
  const row = db
    .prepare(
      `SELECT COUNT(*) AS runs, COALESCE(SUM(alert_fired), 0) AS alerts,
              COALESCE(SUM(outcome = 'success'), 0) AS success, COALESCE(SUM(outcome = 'timeout'), 0) AS timeout,
              COALESCE(SUM(outcome = 'error'), 0) AS error, COALESCE(AVG(duration_ms), 0) AS meanMs,
              COALESCE(MAX(duration_ms), 0) AS maxMs, MIN(start_time) AS firstStart, MAX(start_time) AS lastStart
         FROM sandbox_perf_records WHERE start_time >= ?`,
    )
    .get(from) as Omit<DashboardTotals, 'p95Ms'>;
  const get = rowGetter(db);
  const p95Ms =
    row.runs > 0 ? durationAtRank(get, recordsSource(get, sinceWindow(options)), row.runs, nearestRankIndex(0.95, row.runs)) : 0;
  return { ...row, p95Ms };
}

export function readDurationHistogram(db: Db, options: DashboardQueryOptions = {}): DurationHistogram {
  const edgesMs = [...(options.histogramEdgesMs ?? RUN_DURATION_BUCKETS_MS)];
  // One scan: cumulative counts per edge, differenced below.
  const cumulative = edgesMs.map(() => 'COALESCE(SUM(duration_ms <= ?), 0)').join(', ');
  const row = db
    .prepare(`SELECT COUNT(*), ${cumulative} FROM sandbox_perf_records WHERE start_time >= ?`)
    .raw()
    .get(...edgesMs, since(options)) as number[];
  const total = row[0] ?? 0;
  const counts: number[] = [];
  let previous = 0;
  for (let i = 0; i < edgesMs.length; i++) {
    const upTo = row[i + 1] ?? 0;
    counts.push(upTo - previous);
    previous = upTo;
  }
  counts.push(total - previous);
  return { edgesMs, counts };
}

export function readRunsOverTime(db: Db, options: DashboardQueryOptions = {}): RunsOverTime {
  const maxBins = options.maxTimeBins ?? 60;
  const from = since(options);
  const span = db
    .prepare('SELECT MIN(start_time) AS first, MAX(start_time) AS last FROM sandbox_perf_records WHERE start_time >= ?')
    .get(from) as { first: number | null; last: number | null };
  const fallback = TIME_BIN_STEPS_MS[TIME_BIN_STEPS_MS.length - 1] as number;
  if (span.first === null || span.last === null) return { binMs: TIME_BIN_STEPS_MS[0] as number, bins: [] };
  const { first, last } = span;
  const binMs = TIME_BIN_STEPS_MS.find((step) => Math.floor(last / step) - Math.floor(first / step) + 1 <= maxBins) ?? fallback;
  // better-sqlite3 binds JS numbers as REAL: the CASTs keep the division an integer one.
  const rows = db
    .prepare(
      `SELECT (start_time / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS start, SUM(outcome = 'success') AS success, SUM(outcome = 'timeout') AS timeout,
              SUM(outcome = 'error') AS error
         FROM sandbox_perf_records WHERE start_time >= ? GROUP BY 1 ORDER BY 1`,
    )
    .all(binMs, binMs, from) as TimeBin[];
  const bins: TimeBin[] = [];
  let next = Math.floor(first / binMs) * binMs;
  for (const row of rows) {
    for (; next < row.start; next += binMs) bins.push({ start: next, success: 0, timeout: 0, error: 0 });
    bins.push(row);
    next = row.start + binMs;
  }
  return { binMs, bins };
}

export function readRecentAlerts(db: Db, options: DashboardQueryOptions = {}): AlertRow[] {
  const rows = db
    .prepare(
      `SELECT sandbox_id AS sandboxId, start_time AS startTime, duration_ms AS durationMs, outcome, backend
         FROM (${runsWithBackend(db)} WHERE p.alert_fired = 1 AND p.start_time >= ?)
        ORDER BY startTime DESC, id DESC LIMIT ?`,
    )
    .all(since(options), options.recentAlerts ?? 20) as AlertRow[];
  return rows;
}

const EMPTY_TOTALS: DashboardTotals = {
  runs: 0,
  alerts: 0,
  success: 0,
  timeout: 0,
  error: 0,
  meanMs: 0,
  p95Ms: 0,
  maxMs: 0,
  firstStart: null,
  lastStart: null,
};

/** Everything the dashboard page shows, in one read transaction (one consistent snapshot). */
export function readDashboardSummary(db: Db, options: DashboardQueryOptions = {}): DashboardSummary {
  const schemaVersion = assertReadableVersion(db, db.name);
  return db.transaction(() => {
    if (!hasTable(db, 'sandbox_perf_records')) {
      const edgesMs = [...(options.histogramEdgesMs ?? RUN_DURATION_BUCKETS_MS)];
      return {
        schemaVersion,
        totals: { ...EMPTY_TOTALS },
        histogram: { edgesMs, counts: new Array<number>(edgesMs.length + 1).fill(0) },
        timeline: { binMs: TIME_BIN_STEPS_MS[0] as number, bins: [] },
        backends: [],
        workloads: [],
        recentAlerts: [],
        changes: [],
        machineWarning: null,
        overheadOverTime: { binMs: TIME_BIN_STEPS_MS[0] as number, fixedCost: [], canary: [] },
      };
    }
    const backends = readBackendOverhead(db, options);
    const timeline = readRunsOverTime(db, options);
    return {
      schemaVersion,
      totals: readTotals(db, options),
      histogram: readDurationHistogram(db, options),
      timeline,
      backends,
      workloads: readWorkloads(db, schemaVersion, sinceWindow(options)),
      recentAlerts: readRecentAlerts(db, options),
      changes: readChangeMarks(db, schemaVersion, options),
      machineWarning: backends.length > 1 ? fingerprintMixWarning(readFingerprints(db, schemaVersion, sinceWindow(options))) : null,
      overheadOverTime: readOverheadOverTime(db, schemaVersion, { sinceMs: options.sinceMs, binMs: timeline.binMs }),
    };
  })();
}
