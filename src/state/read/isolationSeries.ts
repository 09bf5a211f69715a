import type * as Database from 'better-sqlite3';
import type { IsolationCost } from '../../stats/isolationCost';
import { readIsolationCosts } from './isolationHistory';
import { WORKLOADS_VERSION } from './workloadHistory';

/** One series of the exporters' isolation gauges: a backend's whole cost in one workload. */
export interface IsolationSeries {
  workload: string;
  /** The workload's readable label (sandbox_workloads), its key when it has none. */
  label: string;
  backend: string;
  isolationMs: IsolationCost;
}

/**
 * Every workload's and backend's whole cost over the whole history, for the exporters' gauges
 * (serve reads it on the summary thread, off the event loop). Empty before schema version 5, which
 * added the command times.
 */
export function readIsolationSeries(db: Database.Database, version: number): IsolationSeries[] {
  if (version < WORKLOADS_VERSION) return [];
  const labels = new Map(
    (db.prepare('SELECT workload, label FROM sandbox_workloads').all() as { workload: string; label: string }[]).map((w) => [
      w.workload,
      w.label,
    ]),
  );
  const series: IsolationSeries[] = [];
  for (const [workload, backends] of readIsolationCosts(db, [], [])) {
    for (const [backend, isolationMs] of backends) {
      if (isolationMs) series.push({ workload, label: labels.get(workload) ?? workload, backend, isolationMs });
    }
  }
  return series;
}
