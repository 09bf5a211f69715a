/*
 * Where the history queries read their runs, and how they find the duration at a rank without
 * loading rows: the query planning that HistoryReader and the dashboard queries share.
 *
 * A percentile is one `ORDER BY duration_ms LIMIT 1 OFFSET k` query, k by the nearest-rank rule
 * (src/stats/percentile.ts), on one of two plans: walk an index in duration order from the
 * nearer end (no sort), or read only the window's rows and sort them. The cheaper is chosen by
 * the entries each visits.
 */

/** Runs one query and returns its first row; the caller decides how statements are prepared and cached. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the row type of a query is asserted, as in better-sqlite3
export type Get = <T>(sql: string, params: readonly unknown[]) => T | undefined;

/** `since` inclusive, `until` exclusive, epoch ms, on start_time; either may be absent. */
export interface TimeWindow {
  since?: number | undefined;
  until?: number | undefined;
}

/** Relative costs of the percentile plans (measured on 1 million rows): sorting a row, visiting an index entry with a join lookup. */
const SORT_COST = 4;
const JOIN_VISIT_COST = 5;
/** From this schema version, details and phases hold copies of the run's time, duration, alert and backend (migration 4). */
export const COPIES_VERSION = 4;

/** Where a query reads its runs (aliased r, with columns start_time, duration_ms, alert_fired) and how a rank reaches them. */
export interface Source {
  /** FROM clause of the aggregates: the planner's choice. */
  from: string;
  /** FROM clause walking an index in duration order: `ORDER BY duration_ms LIMIT 1 OFFSET k` without a sort. */
  walk: string;
  /** Reading only the window's rows and sorting them instead; absent where no index does better than the walk. */
  sort?: {
    from: string;
    /** Cost of visiting an entry of the walked index: 1 when it covers the query, more with a join lookup. */
    visitCost: number;
    /** Entries of the walked index range, given the window's count: the walk visits about (offset + 1) × range / count. */
    walkRange: (count: number) => number;
  };
  /** `WHERE ...` or '' */
  where: string;
  params: (number | string)[];
  /**
   * Only with a join: count, sum, min, max and alerts are best had in one pass. Otherwise min and
   * max are index steps (durationAtRank) and alerts come from a partial index on `alert_fired = 1`.
   */
  joined: boolean;
}

/** Every run (sandbox_perf_records) in the window. */
export function recordsSource(get: Get, window: TimeWindow): Source {
  return {
    from: 'sandbox_perf_records AS r',
    walk: 'sandbox_perf_records AS r INDEXED BY sandbox_perf_records_duration',
    sort: {
      // Without a window, "sort" would otherwise still be planned as a walk of the duration index.
      from: `sandbox_perf_records AS r ${bounded(window) ? 'INDEXED BY sandbox_perf_records_start_time' : 'NOT INDEXED'}`,
      visitCost: 1,
      walkRange: () => rowEstimate(get),
    },
    where: whereOf(timeConditions(window)),
    params: timeParams(window),
    joined: false,
  };
}

/**
 * The runs of one backend in the window: from the covering indexes of sandbox_run_details from
 * schema version 4, through a join with the records before; undefined before version 2 (no details).
 */
export function backendSource(get: Get, version: number, window: TimeWindow, backend: string): Source | undefined {
  if (version < 2) return undefined;
  const conditions = timeConditions(window);
  if (version >= COPIES_VERSION) {
    let range: number | undefined;
    return {
      from: 'sandbox_run_details AS r',
      walk: 'sandbox_run_details AS r INDEXED BY sandbox_run_details_backend_duration',
      sort: {
        from: 'sandbox_run_details AS r INDEXED BY sandbox_run_details_backend_time',
        visitCost: 1,
        // The backend's runs of all time: only a window narrower than that needs counting them (once per source).
        walkRange: (count) =>
          bounded(window)
            ? (range ??= get<{ n: number }>('SELECT count(*) AS n FROM sandbox_run_details WHERE backend = ?', [backend])?.n ?? 0)
            : count,
      },
      where: whereOf(['r.backend = ?', ...conditions]),
      params: [backend, ...timeParams(window)],
      joined: false,
    };
  }
  // CROSS JOIN keeps the records outermost, so that a walk walks their duration index and a
  // windowed sort ranges over their start times (with the details outer, that range would be
  // scanned once per detail row: minutes at 1 million runs).
  const join = 'JOIN sandbox_run_details d ON d.record_id = r.id';
  return {
    from: `sandbox_perf_records AS r ${join}`,
    walk: `sandbox_perf_records AS r INDEXED BY sandbox_perf_records_duration CROSS ${join}`,
    sort: {
      from: bounded(window)
        ? `sandbox_perf_records AS r INDEXED BY sandbox_perf_records_start_time CROSS ${join}`
        : `sandbox_perf_records AS r NOT INDEXED ${join}`,
      visitCost: JOIN_VISIT_COST,
      walkRange: () => rowEstimate(get),
    },
    where: whereOf([...conditions, 'd.backend = ?']),
    params: [...timeParams(window), backend],
    joined: true,
  };
}

/** One phase of one backend (schema version 4): its one index leads with the duration, so a window is filtered, never ranged. */
export function phaseSource(window: TimeWindow, backend: string, phase: string): Source {
  const from = 'sandbox_run_phases AS r INDEXED BY sandbox_run_phases_backend_duration';
  return {
    from,
    walk: from,
    where: whereOf(['r.backend = ?', 'r.phase = ?', ...timeConditions(window)]),
    params: [backend, phase, ...timeParams(window)],
    joined: false,
  };
}

/**
 * The duration at a 0-based rank of the ascending order, `count` being the number of runs the
 * source holds. Walks the duration index from the nearer end (visits about offset × range/count
 * entries, each with a lookup when joined) or sorts just the window's rows, whichever visits fewer.
 */
export function durationAtRank(get: Get, source: Source, count: number, rank: number): number {
  const fromTop = rank > (count - 1) / 2;
  const offset = fromTop ? count - 1 - rank : rank;
  const sort = source.sort;
  const walk = sort ? (((offset + 1) * Math.max(1, sort.walkRange(count))) / count) * sort.visitCost : 0;
  const row = get<{ ms: number }>(
    `SELECT r.duration_ms AS ms FROM ${sort && walk > count * SORT_COST ? sort.from : source.walk} ${source.where} ` +
      `ORDER BY r.duration_ms ${fromTop ? 'DESC' : 'ASC'} LIMIT 1 OFFSET ?`,
    [...source.params, offset],
  );
  return row?.ms ?? 0;
}

/**
 * The distinct values of an indexed column, ascending, by one index step each (a skip scan):
 * a handful of backends or phases cost a handful of lookups, however many runs they have.
 */
export function distinctValues(get: Get, column: 'backend' | 'phase', table: string, where = '', params: readonly string[] = []): string[] {
  const values: string[] = [];
  let next = get<{ v: string | null }>(`SELECT min(${column}) AS v FROM ${table} ${where ? `WHERE ${where}` : ''}`, params)?.v;
  while (next !== null && next !== undefined) {
    values.push(next);
    next = get<{ v: string | null }>(`SELECT min(${column}) AS v FROM ${table} WHERE ${where ? `${where} AND ` : ''}${column} > ?`, [
      ...params,
      next,
    ])?.v;
  }
  return values;
}

export function timeConditions(window: TimeWindow): string[] {
  return [...(window.since === undefined ? [] : ['r.start_time >= ?']), ...(window.until === undefined ? [] : ['r.start_time < ?'])];
}

export function timeParams(window: TimeWindow): number[] {
  return [...(window.since === undefined ? [] : [window.since]), ...(window.until === undefined ? [] : [window.until])];
}

export function whereOf(conditions: readonly string[]): string {
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

function bounded(window: TimeWindow): boolean {
  return window.since !== undefined || window.until !== undefined;
}

/** Rows in the records table, from the largest id: O(log n), exact unless rows were pruned. */
function rowEstimate(get: Get): number {
  return get<{ n: number | null }>('SELECT max(id) AS n FROM sandbox_perf_records', [])?.n ?? 0;
}
