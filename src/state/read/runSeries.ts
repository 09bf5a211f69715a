// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import { COPIES_VERSION, distinctValues, timeConditions, timeParams, whereOf, type Get, type TimeWindow } from './historySources';

/*
 * The runs of the history as time series, oldest first: what change-point detection reads. One
 * series per (workload, backend) for runs that name a workload (schema 5, sandbox_run_overhead,
 * read from its covering index), and one per backend for the runs that do not: from schema 4
 * one range of the covering index sandbox_run_details (backend, start_time, duration_ms),
 * before, a join with the records. Runs without a details row (a monitor used without a backend)
 * form the series `unknown`, as on the dashboard. All outcomes count: a backend that starts
 * failing fast is a change too.
 */

/** What a series measures: the run's duration, or its overhead (duration − the command's own time, schema 5). */
export type SeriesMetric = 'duration' | 'overhead';

export const SERIES_METRICS: readonly SeriesMetric[] = ['duration', 'overhead'];

/** The name of the series of runs without a backend. */
export const UNKNOWN_BACKEND = 'unknown';

export interface SeriesQuery extends TimeWindow {
  /** Only this backend's series. @default every backend */
  backend?: string | undefined;
  /** Only this workload's series (its id or its label): needs schema version 5. @default every workload */
  workload?: string | undefined;
  /** @default 'duration' */
  metric?: SeriesMetric | undefined;
  /** Only the most recent runs of each series, at most this many. @default every run */
  maxRuns?: number | undefined;
}

export interface RunSeries {
  backend: string;
  /** null: runs that named no workload (every run of a history before schema version 5). */
  workload: string | null;
  /** The workload's readable label (sandbox_workloads), else the workload itself; null without a workload. */
  workloadLabel: string | null;
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

/** From this schema version the history has workloads and the overhead decomposition (sandbox_run_overhead, issue 14). */
export const WORKLOAD_VERSION = 5;

/** Every series the query selects, by backend, then workload (runs without one first). */
export function readRunSeries(db: Db, version: number, query: SeriesQuery = {}): RunSeries[] {
  const metric = query.metric ?? 'duration';
  const decomposed = version >= WORKLOAD_VERSION && hasTable(db, 'sandbox_run_overhead');
  if (!decomposed && metric === 'overhead') {
    throw new HistoryLacksColumnError(
      `the history at ${db.name} has no overhead column (schema version ${version}; commandMs/overheadMs are recorded from version ${WORKLOAD_VERSION}, once a newer sandbox-perf writes to it): use the duration metric`,
    );
  }
  if (!decomposed && query.workload !== undefined) {
    throw new HistoryLacksColumnError(
      `the history at ${db.name} has no workload column (schema version ${version}; workloads are recorded from version ${WORKLOAD_VERSION}, once a newer sandbox-perf writes to it): select series by backend`,
    );
  }
  if (!hasTable(db, 'sandbox_perf_records')) return [];
  const series: RunSeries[] = [];
  const reader = seriesReader(db, metric, query.maxRuns ?? -1, series);
  if (decomposed) workloadSeries(db, query, metric, reader);
  if (metric === 'duration' && query.workload === undefined) backendSeries(db, version, decomposed, query, reader);
  return series.sort((a, b) => compare(a.backend, b.backend) || compare(a.workload ?? '', b.workload ?? ''));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type Read = (
  key: { backend: string; workload: string | null; workloadLabel: string | null },
  sql: string,
  params: readonly unknown[],
) => void;

/** Runs one series query (newest first, with the limit as its last parameter) and keeps the series oldest first. */
function seriesReader(db: Db, metric: SeriesMetric, limit: number, into: RunSeries[]): Read {
  return (key, sql, params) => {
    const rows = db
      .prepare(sql)
      .raw()
      .all(...params, limit) as [unknown, unknown][];
    const times: number[] = [];
    const values: number[] = [];
    // Newest first from SQL; a row whose time or value is not a finite number (edited or forged
    // by hand) is left out rather than failing the whole analysis.
    for (let i = rows.length - 1; i >= 0; i--) {
      const [t, v] = rows[i] as [unknown, unknown];
      if (typeof t !== 'number' || typeof v !== 'number' || !Number.isFinite(t) || !Number.isFinite(v)) continue;
      times.push(t);
      values.push(v);
    }
    if (values.length > 0) into.push({ ...key, metric, times, values });
  };
}

/**
 * The series of sandbox_run_overhead (schema 5): per workload and backend; for the overhead
 * metric also the runs that timed their command without naming a workload (workload null).
 */
function workloadSeries(db: Db, query: SeriesQuery, metric: SeriesMetric, read: Read): void {
  const keys: string[] = [metric === 'duration' || query.workload !== undefined ? 'o.workload IS NOT NULL' : '1'];
  const keyParams: string[] = [];
  if (query.workload !== undefined) {
    // A workload id or its label (the label is what people see: `sleep 0.2`).
    keys.push('o.workload IN (SELECT workload FROM sandbox_workloads WHERE workload = ? OR label = ?)');
    keyParams.push(query.workload, query.workload);
  }
  if (query.backend !== undefined) {
    keys.push('o.backend = ?');
    keyParams.push(query.backend);
  }
  const pairs = db
    .prepare(
      `SELECT DISTINCT o.workload AS workload, o.backend AS backend, w.label AS label FROM sandbox_run_overhead AS o ` +
        `LEFT JOIN sandbox_workloads AS w ON w.workload = o.workload ${whereOf(keys)}`,
    )
    .all(...keyParams) as { workload: string | null; backend: string; label: string | null }[];
  const column = metric === 'overhead' ? 'r.overhead_ms' : 'r.duration_ms';
  const conditions = [
    'r.workload IS ?',
    'r.backend = ?',
    ...(metric === 'overhead' ? ['r.overhead_ms IS NOT NULL'] : []),
    ...timeConditions(query),
  ];
  const sql = `SELECT r.start_time, ${column} FROM sandbox_run_overhead AS r ${whereOf(conditions)} ORDER BY r.start_time DESC, r.record_id DESC LIMIT ?`;
  for (const { workload, backend, label } of pairs) {
    read({ backend, workload, workloadLabel: label ?? workload }, sql, [workload, backend, ...timeParams(query)]);
  }
}

/** Durations per backend, of the runs without a workload (all runs before schema 5); runs without details as `unknown`. */
function backendSeries(db: Db, version: number, decomposed: boolean, query: SeriesQuery, read: Read): void {
  const details = version >= 2 && hasTable(db, 'sandbox_run_details');
  const time = timeConditions(query);
  const params = timeParams(query);
  const key = (backend: string) => ({ backend, workload: null, workloadLabel: null });
  if (details) {
    const backends = query.backend === undefined ? distinctValues(rowGetter(db), 'backend', 'sandbox_run_details') : [query.backend];
    const withoutWorkload = decomposed
      ? ['NOT EXISTS (SELECT 1 FROM sandbox_run_overhead o WHERE o.record_id = r.record_id AND o.workload IS NOT NULL)']
      : [];
    for (const backend of backends) {
      const sql =
        version >= COPIES_VERSION
          ? `SELECT r.start_time, r.duration_ms FROM sandbox_run_details AS r ${whereOf(['r.backend = ?', ...withoutWorkload, ...time])} ` +
            'ORDER BY r.start_time DESC, r.record_id DESC LIMIT ?'
          : 'SELECT r.start_time, r.duration_ms FROM sandbox_perf_records AS r JOIN sandbox_run_details d ON d.record_id = r.id ' +
            `${whereOf(['d.backend = ?', ...time])} ORDER BY r.start_time DESC, r.id DESC LIMIT ?`;
      read(key(backend), sql, [backend, ...params]);
    }
  }
  if (query.backend === undefined || query.backend === UNKNOWN_BACKEND) {
    const without = details ? ['NOT EXISTS (SELECT 1 FROM sandbox_run_details d WHERE d.record_id = r.id)'] : [];
    read(
      key(UNKNOWN_BACKEND),
      `SELECT r.start_time, r.duration_ms FROM sandbox_perf_records AS r ${whereOf([...without, ...time])} ORDER BY r.start_time DESC, r.id DESC LIMIT ?`,
      params,
    );
  }
}
