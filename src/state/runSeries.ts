// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import { COPIES_VERSION, distinctValues, timeConditions, timeParams, whereOf, type Get, type TimeWindow } from './historySources';

/*
 * The runs of the history as time series, one per backend, oldest first: what change-point
 * detection reads. From schema version 4 a backend's series is one range of the covering index
 * sandbox_run_details (backend, start_time, duration_ms); before, a join with the records. Runs
 * without a details row (a monitor used without a backend) form the series `unknown`, as on the
 * dashboard.
 */

/** What a series measures. `overhead` needs the decomposition of issue 14 (not in this history yet). */
export type SeriesMetric = 'duration' | 'overhead';

export const SERIES_METRICS: readonly SeriesMetric[] = ['duration', 'overhead'];

/** The name of the series of runs without a backend. */
export const UNKNOWN_BACKEND = 'unknown';

export interface SeriesQuery extends TimeWindow {
  /** Only this backend's series. @default every backend */
  backend?: string | undefined;
  /** Only this workload's series: needs workload identity in the history (issue 14). @default every workload */
  workload?: string | undefined;
  /** @default 'duration' */
  metric?: SeriesMetric | undefined;
  /** Only the most recent runs of each series, at most this many. @default every run */
  maxRuns?: number | undefined;
}

export interface RunSeries {
  backend: string;
  /** null: the history does not identify workloads (yet). */
  workload: string | null;
  metric: SeriesMetric;
  /** Epoch ms of each run's start, ascending. */
  times: number[];
  /** The metric of each run, in ms. */
  values: number[];
}

/** The history lacks what a query asks for (a workload, the overhead): a mistake in the request, not a fault. */
export class HistoryLacksColumnError extends Error {
  override name = 'HistoryLacksColumnError';
  readonly code = 'SANDBOX_PERF_HISTORY_LACKS_COLUMN';
}

type Db = Database.Database;

function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function rowGetter(db: Db): Get {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the row type of a query is asserted, as in better-sqlite3
  return <T>(sql: string, params: readonly unknown[]) => db.prepare(sql).get(...params) as T | undefined;
}

/** Every series the query selects, by backend name. */
export function readRunSeries(db: Db, version: number, query: SeriesQuery = {}): RunSeries[] {
  const metric = query.metric ?? 'duration';
  if (metric === 'overhead') {
    throw new HistoryLacksColumnError(
      `the history at ${db.name} has no overhead column yet (commandMs/overheadMs arrive with issue 14): use the duration metric`,
    );
  }
  if (query.workload !== undefined) {
    throw new HistoryLacksColumnError(
      `the history at ${db.name} has no workload column yet (workload identity arrives with issue 14): select series by backend`,
    );
  }
  if (!hasTable(db, 'sandbox_perf_records')) return [];
  const details = version >= 2 && hasTable(db, 'sandbox_run_details');
  const limit = query.maxRuns ?? -1;
  const series: RunSeries[] = [];
  const read = (backend: string, sql: string, params: readonly unknown[]): void => {
    const rows = db
      .prepare(sql)
      .raw()
      .all(...params, limit) as [number, number][];
    if (rows.length === 0) return;
    rows.reverse();
    series.push({ backend, workload: null, metric, times: rows.map((r) => r[0]), values: rows.map((r) => r[1]) });
  };
  const time = timeConditions(query);
  const params = timeParams(query);
  if (details) {
    const backends = query.backend === undefined ? distinctValues(rowGetter(db), 'backend', 'sandbox_run_details') : [query.backend];
    for (const backend of backends) {
      const sql =
        version >= COPIES_VERSION
          ? `SELECT r.start_time, r.duration_ms FROM sandbox_run_details AS r ${whereOf(['r.backend = ?', ...time])} ` +
            'ORDER BY r.start_time DESC, r.record_id DESC LIMIT ?'
          : 'SELECT r.start_time, r.duration_ms FROM sandbox_perf_records AS r JOIN sandbox_run_details d ON d.record_id = r.id ' +
            `${whereOf(['d.backend = ?', ...time])} ORDER BY r.start_time DESC, r.id DESC LIMIT ?`;
      read(backend, sql, [backend, ...params]);
    }
  }
  if (query.backend === undefined || query.backend === UNKNOWN_BACKEND) {
    const without = details ? ['NOT EXISTS (SELECT 1 FROM sandbox_run_details d WHERE d.record_id = r.id)'] : [];
    read(
      UNKNOWN_BACKEND,
      `SELECT r.start_time, r.duration_ms FROM sandbox_perf_records AS r ${whereOf([...without, ...time])} ORDER BY r.start_time DESC, r.id DESC LIMIT ?`,
      params,
    );
  }
  return series.sort((a, b) => (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
}
