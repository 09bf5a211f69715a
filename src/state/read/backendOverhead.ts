import { backendSource, COPIES_VERSION, distinctValues, recordsSource, type Get, type Source } from './historySources';
import { summarizeSource } from './sourceSummary';
import type { BackendOverhead, DashboardQueryOptions } from './dashboardTypes';
import { rowGetter, runsWithBackend, since, sinceWindow, type Db } from './dashboardSql';

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
  const t = summarizeSource(get, source, { squares: true });
  if (!t) return undefined;
  return {
    backend,
    count: t.count,
    meanMs: t.sum / t.count,
    sum: t.sum,
    sumSquares: t.sumSquares,
    maxMs: t.at(1),
    alerts: t.alerts,
    p50Ms: t.at(0.5),
    p95Ms: t.at(0.95),
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
