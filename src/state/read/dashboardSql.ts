// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import type { Get } from './historySources';
import type { DashboardQueryOptions } from './dashboardTypes';

/* Helpers shared by the dashboard queries: tables that may not exist yet, the run source with a backend column, the window. */

export type Db = Database.Database;

export function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** The run source, with a backend column whether or not the details table exists yet. */
export function runsWithBackend(db: Db): string {
  return hasTable(db, 'sandbox_run_details')
    ? `SELECT p.id, p.sandbox_id, p.start_time, p.duration_ms, p.outcome, p.alert_fired, COALESCE(d.backend, 'unknown') AS backend
         FROM sandbox_perf_records p LEFT JOIN sandbox_run_details d ON d.record_id = p.id`
    : `SELECT p.id, p.sandbox_id, p.start_time, p.duration_ms, p.outcome, p.alert_fired, 'unknown' AS backend
         FROM sandbox_perf_records p`;
}

export const since = (options: DashboardQueryOptions): number => options.sinceMs ?? Number.MIN_SAFE_INTEGER;

/** The window of the history sources: unbounded without sinceMs, so that they need not count the window against the whole. */
export const sinceWindow = (options: DashboardQueryOptions): { since?: number } =>
  options.sinceMs === undefined ? {} : { since: options.sinceMs };

export function rowGetter(db: Db): Get {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the row type of a query is asserted, as in better-sqlite3
  return <T>(sql: string, params: readonly unknown[]) => db.prepare(sql).get(...params) as T | undefined;
}
