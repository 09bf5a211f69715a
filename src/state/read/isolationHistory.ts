import type * as Database from 'better-sqlite3';
import { BASELINE_BACKEND } from '../../sandbox/types';
import {
  baselineIsolationCost,
  momentsOf,
  unpairedIsolationCost,
  type IsolationCost,
  type TimedRunMoments,
} from '../../stats/isolationCost';
import { whereOf } from './historySources';

interface Row {
  workload: string;
  backend: string;
  n: number;
  d: number;
  dd: number;
  c: number;
  cc: number;
  o: number;
  oo: number;
}

/**
 * The whole cost of isolation per workload and backend, from a history's successful runs that
 * have a command time (stats/isolationCost.ts, unpaired: a history keeps no rounds): the time
 * around the command, the command's time against `none`'s in the same workload, and their sum,
 * with 95 % intervals. Sums only, one grouped pass: memory does not grow with the history. A
 * workload without two timed `none` runs gets no cost (there is nothing to measure the command
 * against). `conditions` and `params` are the caller's window over `sandbox_run_overhead AS r`.
 */
export function readIsolationCosts(
  db: Database.Database,
  conditions: readonly string[],
  params: readonly (string | number)[],
): Map<string, Map<string, IsolationCost | null>> {
  const rows = db
    .prepare(
      'SELECT r.workload AS workload, r.backend AS backend, count(*) AS n, ' +
        'total(r.duration_ms) AS d, total(r.duration_ms * r.duration_ms) AS dd, total(r.command_ms) AS c, ' +
        'total(r.command_ms * r.command_ms) AS cc, total(r.overhead_ms) AS o, total(r.overhead_ms * r.overhead_ms) AS oo ' +
        `FROM sandbox_run_overhead AS r ${whereOf([...conditions, "r.outcome = 'success'", 'r.command_ms IS NOT NULL', 'r.workload IS NOT NULL'])} ` +
        'GROUP BY r.workload, r.backend',
    )
    .all(...params) as Row[];
  const byWorkload = new Map<string, Map<string, TimedRunMoments>>();
  for (const row of rows) {
    let backends = byWorkload.get(row.workload);
    if (!backends) byWorkload.set(row.workload, (backends = new Map<string, TimedRunMoments>()));
    backends.set(row.backend, {
      durationMs: momentsOf(row.n, row.d, row.dd),
      commandMs: momentsOf(row.n, row.c, row.cc),
      overheadMs: momentsOf(row.n, row.o, row.oo),
    });
  }
  const costs = new Map<string, Map<string, IsolationCost | null>>();
  for (const [workload, backends] of byWorkload) {
    const none = backends.get(BASELINE_BACKEND);
    const results = new Map<string, IsolationCost | null>();
    for (const [backend, moments] of backends) {
      const cost =
        backend === BASELINE_BACKEND ? baselineIsolationCost(moments) : none ? unpairedIsolationCost(moments, none.commandMs) : null;
      results.set(backend, cost);
    }
    costs.set(workload, results);
  }
  return costs;
}
