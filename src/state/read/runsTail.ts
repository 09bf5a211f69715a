import type { StoredRun } from './dashboardTypes';
import { hasTable, type Db } from './dashboardSql';

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

/** The `limit` workloads with the most runs in the file, busiest first, with their readable labels (schema 5; [] before). */
export function readBusiestWorkloads(db: Db, limit: number): { workload: string; label: string; runs: number }[] {
  if (!hasTable(db, 'sandbox_run_overhead')) return [];
  return db
    .prepare(
      `SELECT o.workload AS workload, coalesce(w.label, o.workload) AS label, count(*) AS runs
         FROM sandbox_run_overhead o LEFT JOIN sandbox_workloads w ON w.workload = o.workload
        WHERE o.workload IS NOT NULL GROUP BY o.workload ORDER BY runs DESC, o.workload LIMIT ?`,
    )
    .all(limit) as { workload: string; label: string; runs: number }[];
}
