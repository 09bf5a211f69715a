// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import type { SandboxOutcome } from '../../sandbox/types';
import { nearestRankIndex } from '../../stats/percentile';
import { backendSource, COPIES_VERSION, distinctValues, durationAtRank, recordsSource, type Get, type Source } from './historySources';
import { assertReadableVersion } from '../schema';
import { readChangeMarks, type ChangeMark } from './changeMarks';
import { fingerprintMixWarning, readFingerprints } from '../fingerprintHistory';
import { readWorkloads, type WorkloadHistoryReport } from './workloadHistory';
import { readOverheadOverTime, type OverheadOverTime } from './overheadOverTime';

/*
 * The SQL behind the dashboard page and `sandbox-perf serve`'s /metrics. Pure functions over a
 * better-sqlite3 connection (opened read-only by the caller); nothing here writes.
 *
 * Percentiles follow the project's one rule (src/stats/percentile.ts): nearest rank on ascending
 * durations, 1-based rank ceil(q * n), computed in SQL with integer arithmetic as
 * (q100 * n + 99) / 100, so a reported p95 is always a duration that was observed; or as one
 * `ORDER BY duration_ms LIMIT 1 OFFSET k` on an index (src/state/read/historySources.ts), the same rank.
 */

/** Histogram edges in ms: the Prometheus buckets (5 ms … 300 s), so the page and Grafana agree. */
export const DASHBOARD_HISTOGRAM_EDGES_MS: readonly number[] = Object.freeze([
  5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 300_000,
]);

/** Candidate widths of a runs-over-time bin, ms; the smallest giving at most `maxTimeBins` bins wins. */
const TIME_BIN_STEPS_MS = [
  1000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000,
  2_592_000_000,
];

export interface DashboardQueryOptions {
  /** Only runs that started at or after this time, epoch ms. @default every run */
  sinceMs?: number;
  /** @default DASHBOARD_HISTOGRAM_EDGES_MS */
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

export interface BackendOverhead {
  backend: string;
  count: number;
  meanMs: number;
  /** Sample standard deviation; 0 for a single run. */
  stddevMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
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
  /** Every backend's runs over all workloads: descriptive only, no ratio (a ratio mixing workloads means nothing). */
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

type Db = Database.Database;

function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** The run source, with a backend column whether or not the details table exists yet. */
function runsWithBackend(db: Db): string {
  return hasTable(db, 'sandbox_run_details')
    ? `SELECT p.id, p.sandbox_id, p.start_time, p.duration_ms, p.outcome, p.alert_fired, COALESCE(d.backend, 'unknown') AS backend
         FROM sandbox_perf_records p LEFT JOIN sandbox_run_details d ON d.record_id = p.id`
    : `SELECT p.id, p.sandbox_id, p.start_time, p.duration_ms, p.outcome, p.alert_fired, 'unknown' AS backend
         FROM sandbox_perf_records p`;
}

const since = (options: DashboardQueryOptions): number => options.sinceMs ?? Number.MIN_SAFE_INTEGER;

/** The window of the history sources: unbounded without sinceMs, so that they need not count the window against the whole. */
const sinceWindow = (options: DashboardQueryOptions): { since?: number } =>
  options.sinceMs === undefined ? {} : { since: options.sinceMs };

function rowGetter(db: Db): Get {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the row type of a query is asserted, as in better-sqlite3
  return <T>(sql: string, params: readonly unknown[]) => db.prepare(sql).get(...params) as T | undefined;
}

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
  const edgesMs = [...(options.histogramEdgesMs ?? DASHBOARD_HISTOGRAM_EDGES_MS)];
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

type OverheadSums = Omit<BackendOverhead, 'stddevMs'> & { sum: number; sumSquares: number };

/**
 * Overhead per backend, runs without details as `unknown`, by mean. From schema version 4 each
 * backend is read from the indexes of sandbox_run_details (one range for the sums, index steps
 * for max, p50 and p95), and `unknown` from the records' own indexes when no run has details;
 * before, and for `unknown` among runs with details, window functions over the joined rows.
 */
export function readBackendOverhead(db: Db, options: DashboardQueryOptions = {}): BackendOverhead[] {
  const version = db.pragma('user_version', { simple: true }) as number;
  const rows = version >= COPIES_VERSION ? overheadFromIndexes(db, options, version) : overheadByWindowFunctions(db, since(options), false);
  return rows.map(({ sum, sumSquares, ...row }) => {
    // Sample variance from the sums; clamped because rounding can push it a hair below zero.
    const variance = row.count > 1 ? Math.max(0, (sumSquares - (sum * sum) / row.count) / (row.count - 1)) : 0;
    return { ...row, stddevMs: Math.sqrt(variance) };
  });
}

function overheadFromIndexes(db: Db, options: DashboardQueryOptions, version: number): OverheadSums[] {
  const get = rowGetter(db);
  const window = sinceWindow(options);
  const rows: OverheadSums[] = [];
  for (const backend of distinctValues(get, 'backend', 'sandbox_run_details')) {
    const row = overheadOf(get, backendSource(get, version, window, backend) as Source, backend);
    if (row) rows.push(row);
  }
  const records = recordsSource(get, window);
  const all = get<{ n: number }>(`SELECT count(*) AS n FROM ${records.from} ${records.where}`, records.params)?.n ?? 0;
  const withDetails = rows.reduce((n, row) => n + row.count, 0);
  if (all > withDetails) {
    // Runs without details: all of them when none has details, else found by an anti-join.
    const unknown = withDetails === 0 ? overheadOf(get, records, 'unknown') : overheadByWindowFunctions(db, since(options), true)[0];
    if (unknown) rows.push(unknown);
  }
  return rows.sort((a, b) => a.meanMs - b.meanMs || (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
}

/** The sums of one source in one range of its index; max, p50, p95 as rank queries; alerts from the partial index. */
function overheadOf(get: Get, source: Source, backend: string): OverheadSums | undefined {
  const t = get<{ n: number; sum: number; sumSquares: number }>(
    `SELECT count(*) AS n, total(r.duration_ms) AS sum, total(r.duration_ms * r.duration_ms) AS sumSquares FROM ${source.from} ${source.where}`,
    source.params,
  );
  const count = t?.n ?? 0;
  if (!t || count === 0) return undefined;
  const alerts = get<{ n: number }>(
    `SELECT count(*) AS n FROM ${source.from} ${source.where ? `${source.where} AND` : 'WHERE'} r.alert_fired = 1`,
    source.params,
  );
  const rank = (q: number): number => durationAtRank(get, source, count, nearestRankIndex(q, count));
  return {
    backend,
    count,
    meanMs: t.sum / count,
    sum: t.sum,
    sumSquares: t.sumSquares,
    maxMs: rank(1),
    alerts: alerts?.n ?? 0,
    p50Ms: rank(0.5),
    p95Ms: rank(0.95),
  };
}

/** Every backend (or only the runs without details) in one pass with window functions: sorts every run of the window. */
function overheadByWindowFunctions(db: Db, from: number, withoutDetailsOnly: boolean): OverheadSums[] {
  return db
    .prepare(
      `WITH r AS (${runsWithBackend(db)} WHERE p.start_time >= ?${withoutDetailsOnly ? ' AND d.record_id IS NULL' : ''}),
            ranked AS (
              SELECT backend, duration_ms AS d, alert_fired,
                     ROW_NUMBER() OVER (PARTITION BY backend ORDER BY duration_ms) AS rn,
                     COUNT(*) OVER (PARTITION BY backend) AS n
                FROM r)
       SELECT backend, COUNT(*) AS count, AVG(d) AS meanMs, SUM(d * d) AS sumSquares, SUM(d) AS sum, MAX(d) AS maxMs,
              SUM(alert_fired) AS alerts,
              MAX(CASE WHEN rn = (50 * n + 99) / 100 THEN d END) AS p50Ms,
              MAX(CASE WHEN rn = (95 * n + 99) / 100 THEN d END) AS p95Ms
         FROM ranked GROUP BY backend ORDER BY meanMs, backend`,
    )
    .all(from) as OverheadSums[];
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

/**
 * Runs with id > afterId, oldest first, at most `limit` (the metrics tail). Ids only grow while
 * a file lives, so a caller that remembers the last id reads each run once.
 */
export function readRunsAfter(db: Db, afterId: number, limit: number): StoredRun[] {
  if (!hasTable(db, 'sandbox_perf_records')) return [];
  const details = hasTable(db, 'sandbox_run_details');
  const overhead = hasTable(db, 'sandbox_run_overhead');
  const rows = db
    .prepare(
      `SELECT p.id, p.sandbox_id AS sandboxId, p.start_time AS startTime, p.duration_ms AS durationMs, p.outcome,
              p.alert_fired AS alertFired, ${details ? 'd.backend' : 'NULL'} AS backend,
              ${overhead ? 'o.workload AS workload, w.label AS workloadLabel, o.overhead_ms AS overheadMs' : 'NULL AS workload, NULL AS workloadLabel, NULL AS overheadMs'}
         FROM sandbox_perf_records p ${details ? 'LEFT JOIN sandbox_run_details d ON d.record_id = p.id' : ''}
         ${overhead ? 'LEFT JOIN sandbox_run_overhead o ON o.record_id = p.id LEFT JOIN sandbox_workloads w ON w.workload = o.workload' : ''}
        WHERE p.id > ? ORDER BY p.id LIMIT ?`,
    )
    .all(afterId, limit) as (Omit<StoredRun, 'alertFired'> & { alertFired: number })[];
  return rows.map((row) => ({ ...row, alertFired: row.alertFired === 1 }));
}

/** The highest run id in the file (0 when empty): lets the tail notice a replaced file. */
export function readMaxRunId(db: Db): number {
  if (!hasTable(db, 'sandbox_perf_records')) return 0;
  return (db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM sandbox_perf_records').get() as { id: number }).id;
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
      const edgesMs = [...(options.histogramEdgesMs ?? DASHBOARD_HISTOGRAM_EDGES_MS)];
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
