import { nearestRankIndex } from '../../stats/percentile';
import { backendSource, COPIES_VERSION, distinctValues, durationAtRank, recordsSource, type Get, type Source } from './historySources';
import { summarizeSource } from './sourceSummary';
import type { BackendOverhead, DashboardQueryOptions, FailedRuns } from './dashboardTypes';
import { rowGetter, runsWithBackend, since, sinceWindow, type Db } from './dashboardSql';

/** One backend's timed-out and failed runs in the window: counts, sums, and their durations ascending. */
interface Failures extends FailedRuns {
  sum: number;
  sumSquares: number;
  durations: Float64Array;
}

/** A backend's successful runs, before the standard deviation is taken from the sums. */
interface SuccessSums {
  backend: string;
  count: number;
  sum: number;
  sumSquares: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * Runs per backend (runs without details as `unknown`), by the mean of their successful runs:
 * the statistics are those of the successful runs alone, as `compare` reports them; timed-out and
 * failed runs are counted apart (15 instant failures made a backend look fastest: issue 22), and
 * alerts are counted over every outcome. A backend whose runs all failed comes last, without
 * statistics. From schema version 4 each backend is read from the indexes of sandbox_run_details
 * (one range for the sums, index steps for max, p50 and p95), its failures subtracted (they are
 * read in one pass over the window's records: the outcome is in no index); before, and for
 * `unknown` among runs with details, window functions over the joined rows.
 */
export function readBackendOverhead(db: Db, options: DashboardQueryOptions = {}): BackendOverhead[] {
  const version = db.pragma('user_version', { simple: true }) as number;
  const failed = readFailures(db, since(options));
  const rows = version >= COPIES_VERSION ? fromIndexes(db, options, version, failed) : byWindowFunctions(db, since(options), false);
  const byBackend = new Map(rows.map((row) => [row.backend, row]));
  for (const backend of failed.keys()) if (!byBackend.has(backend)) byBackend.set(backend, { backend, success: undefined, alerts: 0 });
  return [...byBackend.values()]
    .map(({ backend, success, alerts }): BackendOverhead => {
      const f = failed.get(backend);
      const runs = { timeout: f?.timeout ?? 0, error: f?.error ?? 0 };
      if (success === undefined || success.count === 0) {
        return { backend, count: 0, failed: runs, meanMs: null, stddevMs: null, p50Ms: null, p95Ms: null, maxMs: null, alerts };
      }
      const { count, sum, sumSquares, maxMs, p50Ms, p95Ms } = success;
      // Sample variance from the sums; clamped because rounding can push it a hair below zero.
      const variance = count > 1 ? Math.max(0, (sumSquares - (sum * sum) / count) / (count - 1)) : 0;
      return { backend, count, failed: runs, meanMs: sum / count, stddevMs: Math.sqrt(variance), p50Ms, p95Ms, maxMs, alerts };
    })
    .sort((a, b) => (a.meanMs ?? Infinity) - (b.meanMs ?? Infinity) || (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
}

/** Timed-out and failed runs per backend, in one pass over the window's records. */
function readFailures(db: Db, from: number): Map<string, Failures> {
  const rows = db
    .prepare(`SELECT backend, outcome, duration_ms AS ms FROM (${runsWithBackend(db)}) WHERE outcome <> 'success' AND start_time >= ?`)
    .all(from) as { backend: string; outcome: string; ms: number }[];
  const lists = new Map<string, { runs: FailedRuns; durations: number[] }>();
  for (const { backend, outcome, ms } of rows) {
    let list = lists.get(backend);
    if (!list) lists.set(backend, (list = { runs: { timeout: 0, error: 0 }, durations: [] }));
    // 'timeout' and 'error' are the only other outcomes (OUTCOMES, src/sandbox/types.ts).
    list.runs[outcome === 'timeout' ? 'timeout' : 'error']++;
    list.durations.push(ms);
  }
  const failures = new Map<string, Failures>();
  for (const [backend, { runs, durations }] of lists) {
    const sorted = Float64Array.from(durations).sort();
    let sum = 0;
    let sumSquares = 0;
    for (const ms of sorted) {
      sum += ms;
      sumSquares += ms * ms;
    }
    failures.set(backend, { ...runs, sum, sumSquares, durations: sorted });
  }
  return failures;
}

/** Sorted values ≤ v, by binary search. */
function countAtMost(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The duration at rank k (0-based, ascending) of the successful runs, from rank queries over all
 * the source's runs and the failed runs' durations. r = k + (failed runs ≤ the duration at rank r)
 * only grows and never passes the answer; where it stops, the duration is the answer. A few rank
 * queries when failures are rare (each step adds the failures between two durations).
 */
function successAtRank(get: Get, source: Source, allCount: number, failed: Float64Array, k: number): number {
  let rank = k;
  for (;;) {
    const ms = durationAtRank(get, source, allCount, rank);
    const next = k + countAtMost(failed, ms);
    if (next <= rank) return ms;
    rank = next;
  }
}

interface BackendRow {
  backend: string;
  success: SuccessSums | undefined;
  /** Alerts over every outcome. */
  alerts: number;
}

function fromIndexes(db: Db, options: DashboardQueryOptions, version: number, failed: Map<string, Failures>): BackendRow[] {
  const get = rowGetter(db);
  const window = sinceWindow(options);
  const rows: BackendRow[] = [];
  let withDetails = 0;
  for (const backend of distinctValues(get, 'backend', 'sandbox_run_details')) {
    const row = successesOf(get, backendSource(get, version, window, backend) as Source, backend, failed.get(backend));
    if (row) rows.push(row.row);
    withDetails += row?.all ?? 0;
  }
  const records = recordsSource(get, window);
  const all = get<{ n: number }>(`SELECT count(*) AS n FROM ${records.from} ${records.where}`, records.params)?.n ?? 0;
  if (all > withDetails) {
    // Runs without details: all of them when none has details, else found by an anti-join.
    const unknown =
      withDetails === 0 ? successesOf(get, records, 'unknown', failed.get('unknown'))?.row : byWindowFunctions(db, since(options), true)[0];
    if (unknown) rows.push(unknown);
  }
  return rows;
}

/** One source's runs: sums in one range of its index, less the failures; max, p50, p95 of the successes as rank queries. */
function successesOf(
  get: Get,
  source: Source,
  backend: string,
  failures: Failures | undefined,
): { row: BackendRow; all: number } | undefined {
  const t = summarizeSource(get, source, { squares: true });
  if (!t) return undefined;
  const none = new Float64Array(0);
  const count = t.count - (failures ? failures.timeout + failures.error : 0);
  const at = (q: number): number => successAtRank(get, source, t.count, failures?.durations ?? none, nearestRankIndex(q, count));
  const success =
    count > 0
      ? {
          backend,
          count,
          sum: t.sum - (failures?.sum ?? 0),
          sumSquares: t.sumSquares - (failures?.sumSquares ?? 0),
          maxMs: at(1),
          p50Ms: at(0.5),
          p95Ms: at(0.95),
        }
      : undefined;
  return { row: { backend, success, alerts: t.alerts }, all: t.count };
}

/** Every backend (or only the runs without details) in one pass with window functions: sorts every run of the window. */
function byWindowFunctions(db: Db, from: number, withoutDetailsOnly: boolean): BackendRow[] {
  const rows = db
    .prepare(
      `WITH r AS (${runsWithBackend(db)} WHERE p.start_time >= ?${withoutDetailsOnly ? ' AND d.record_id IS NULL' : ''}),
            ranked AS (
              SELECT backend, duration_ms AS d, alert_fired, outcome = 'success' AS ok,
                     ROW_NUMBER() OVER (PARTITION BY backend, outcome = 'success' ORDER BY duration_ms) AS rn,
                     COUNT(*) OVER (PARTITION BY backend, outcome = 'success') AS n
                FROM r)
       SELECT backend, SUM(ok) AS count, TOTAL(CASE WHEN ok THEN d * d END) AS sumSquares, TOTAL(CASE WHEN ok THEN d END) AS sum,
              MAX(CASE WHEN ok THEN d END) AS maxMs, SUM(alert_fired) AS alerts,
              MAX(CASE WHEN ok AND rn = (50 * n + 99) / 100 THEN d END) AS p50Ms,
              MAX(CASE WHEN ok AND rn = (95 * n + 99) / 100 THEN d END) AS p95Ms
         FROM ranked GROUP BY backend`,
    )
    .all(from) as (SuccessSums & { alerts: number })[];
  return rows.map(({ alerts, ...success }) => ({ backend: success.backend, success, alerts }));
}
