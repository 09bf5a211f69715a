import type * as Database from 'better-sqlite3';
import { nearestRankIndex } from '../../stats/percentile';
import { differenceWithError, ratioWithError, type Difference, type Ratio } from '../../stats/ratio';
import { AdjacentRounds, pairedDifference, pairedRounds, pairedVerdict, type Verdict } from '../../stats/paired';
import type { Interval } from '../../stats/intervals';
import { BASELINE_BACKEND, OUTCOMES, type SandboxOutcome } from '../../sandbox/types';
import { timeConditions, timeParams, whereOf } from './historySources';
import type { IsolationCost } from '../../stats/isolationCost';
import { readIsolationCosts } from './isolationHistory';

/** Schema version that added `sandbox_run_overhead` (workloads and the decomposition). */
export const WORKLOADS_VERSION = 5;

export interface WorkloadWindow {
  since?: number;
  until?: number;
  backend?: string;
  /** Only this workload (its key). @default every workload */
  workload?: string;
}

/** One backend's runs of one workload. Durations over successful runs only, as `compare` does. */
export interface WorkloadBackendReport {
  backend: string;
  /** Runs by outcome: failed and timed-out runs are counted here and left out of every duration. */
  outcomes: Record<SandboxOutcome, number>;
  /** Successful runs: the count behind the statistics below. */
  runs: number;
  meanMs: number;
  stddevMs: number;
  /** Mean of the command's own time, over the successful runs that have it; null when none has. */
  meanCommandMs: number | null;
  /** Mean of `overheadMs` (what isolation added), over the same runs; null when none has it. */
  meanOverheadMs: number | null;
  /** How many successful runs have `commandMs`. */
  timedRuns: number;
  /** Median (nearest rank) of `commandMs` over the timed successful runs; null when none has it. */
  medianCommandMs: number | null;
  /** Median (nearest rank) of `overheadMs` over the same runs; null when none has it. */
  medianOverheadMs: number | null;
  /**
   * The whole cost of isolation (isolationHistory.ts): the time around the command, the command's
   * time against none's in this workload, their total with its 95 % interval. Null below two timed
   * successful runs here or on none (a `--sandbox` filter does not hide none's runs from it).
   */
  isolationMs: IsolationCost | null;
}

/** A backend against the baseline within one workload, with the run counts on each side. */
export interface WorkloadRatio {
  backend: string;
  baseline: string;
  /** Mean duration / the baseline's, ± the error propagated from both standard deviations. */
  ratio: Ratio | null;
  /** Mean duration − the baseline's, ms, ± the same propagated error (compare's `overheadMs`, unpaired). */
  difference: Difference;
  /**
   * Run against baseline run, as `compare` pairs its rounds (the same functions, src/stats/paired.ts):
   * each run paired with the baseline's run next to it in time (compare and the canary interleave
   * them; runs of one backend in a row stay unpaired), a pair with a failed side left out; the
   * mean difference with its paired 95 % t interval (null below two pairs) and compare's verdict.
   */
  paired: { pairs: number; difference: Interval | null; verdict: Verdict };
  runs: number;
  baselineRuns: number;
}

export interface WorkloadHistoryReport {
  workload: string;
  label: string;
  backends: WorkloadBackendReport[];
  /** Ratios against `none` (when this workload has successful runs there), never across workloads. */
  vsBaseline: WorkloadRatio[];
}

interface Row {
  workload: string;
  label: string;
  backend: string;
  outcome: string;
  n: number;
  mean: number;
  sq: number;
  cmd: number | null;
  ovh: number | null;
  timed: number;
}

/** Per workload and backend: outcomes, duration statistics of successful runs, the decomposition, and ratios within the workload. */
export function readWorkloads(db: Database.Database, version: number, window: WorkloadWindow): WorkloadHistoryReport[] {
  if (version < WORKLOADS_VERSION) return [];
  const conditions = ['r.workload IS NOT NULL', ...timeConditions(window)];
  const params: (string | number)[] = timeParams(window);
  if (window.backend !== undefined) {
    conditions.push('r.backend = ?');
    params.push(window.backend);
  }
  if (window.workload !== undefined) {
    conditions.push('r.workload = ?');
    params.push(window.workload);
  }
  const rows = db
    .prepare(
      'SELECT r.workload AS workload, coalesce(w.label, r.workload) AS label, r.backend AS backend, r.outcome AS outcome, count(*) AS n, ' +
        'avg(r.duration_ms) AS mean, avg(r.duration_ms * r.duration_ms) AS sq, avg(r.command_ms) AS cmd, avg(r.overhead_ms) AS ovh, ' +
        'count(r.command_ms) AS timed ' +
        `FROM sandbox_run_overhead AS r LEFT JOIN sandbox_workloads AS w ON w.workload = r.workload ${whereOf(conditions)} ` +
        'GROUP BY r.workload, r.backend, r.outcome ORDER BY r.workload, r.backend',
    )
    .all(...params) as Row[];
  const byWorkload = new Map<string, WorkloadHistoryReport>();
  for (const row of rows) {
    let report = byWorkload.get(row.workload);
    if (!report) {
      report = { workload: row.workload, label: row.label, backends: [], vsBaseline: [] };
      byWorkload.set(row.workload, report);
    }
    let backend = report.backends.find((b) => b.backend === row.backend);
    if (!backend) {
      backend = {
        backend: row.backend,
        outcomes: { success: 0, timeout: 0, error: 0 },
        runs: 0,
        meanMs: 0,
        stddevMs: 0,
        meanCommandMs: null,
        meanOverheadMs: null,
        timedRuns: 0,
        medianCommandMs: null,
        medianOverheadMs: null,
        isolationMs: null,
      };
      report.backends.push(backend);
    }
    if ((OUTCOMES as readonly string[]).includes(row.outcome)) backend.outcomes[row.outcome as SandboxOutcome] += row.n;
    if (row.outcome !== 'success') continue;
    backend.runs = row.n;
    backend.meanMs = row.mean;
    // Sample standard deviation from the sums (n − 1), as compare and hyperfine report it.
    backend.stddevMs = row.n > 1 ? Math.sqrt(Math.max(0, row.sq - row.mean * row.mean) * (row.n / (row.n - 1))) : 0;
    backend.meanCommandMs = row.cmd;
    backend.meanOverheadMs = row.ovh;
    backend.timedRuns = row.timed;
    if (row.timed > 0) {
      const median = (column: 'command_ms' | 'overhead_ms'): number | null => {
        const at = db
          .prepare(
            `SELECT r.${column} AS ms FROM sandbox_run_overhead AS r ${whereOf([...conditions, 'r.workload = ?', 'r.backend = ?', "r.outcome = 'success'", `r.${column} IS NOT NULL`])} ` +
              `ORDER BY r.${column} LIMIT 1 OFFSET ?`,
          )
          .get(...params, row.workload, row.backend, nearestRankIndex(0.5, row.timed)) as { ms: number } | undefined;
        return at?.ms ?? null;
      };
      backend.medianCommandMs = median('command_ms');
      backend.medianOverheadMs = median('overhead_ms');
    }
  }
  const paired = pairedWithBaseline(db, conditions, params, byWorkload.values());
  const workloadOnly = window.workload === undefined ? [] : [window.workload];
  const costs = readIsolationCosts(
    db,
    [...timeConditions(window), ...workloadOnly.map(() => 'r.workload = ?')],
    [...timeParams(window), ...workloadOnly],
  );
  for (const report of byWorkload.values())
    for (const b of report.backends) b.isolationMs = costs.get(report.workload)?.get(b.backend) ?? null;
  for (const report of byWorkload.values()) {
    const base = report.backends.find((b) => b.backend === BASELINE_BACKEND && b.runs > 0);
    if (!base) continue;
    for (const b of report.backends) {
      if (b === base || b.runs === 0) continue;
      report.vsBaseline.push({
        backend: b.backend,
        baseline: base.backend,
        ratio: ratioWithError(b.meanMs, b.stddevMs, base.meanMs, base.stddevMs),
        difference: differenceWithError(b.meanMs, b.stddevMs, base.meanMs, base.stddevMs),
        paired: paired.get(report.workload)?.get(b.backend) ?? { pairs: 0, difference: null, verdict: 'too few pairs' },
        runs: b.runs,
        baselineRuns: base.runs,
      });
    }
  }
  return [...byWorkload.values()];
}

/**
 * Each backend against the baseline, per workload, run by run (see WorkloadRatio.paired): one pass
 * over the window's runs in start order (the time index gives that order without a sort), each run
 * fed to the rebuilt rounds of its workload.
 */
function pairedWithBaseline(
  db: Database.Database,
  conditions: readonly string[],
  params: readonly (string | number)[],
  reports: Iterable<WorkloadHistoryReport>,
): Map<string, Map<string, WorkloadRatio['paired']>> {
  const rounds = new Map<string, Map<string, AdjacentRounds>>();
  for (const report of reports) {
    if (!report.backends.some((b) => b.backend === BASELINE_BACKEND && b.runs > 0)) continue;
    const others = report.backends.filter((b) => b.backend !== BASELINE_BACKEND && b.runs > 0);
    if (others.length > 0) rounds.set(report.workload, new Map(others.map((b) => [b.backend, new AdjacentRounds()])));
  }
  if (rounds.size > 0) {
    const runs = db
      .prepare(
        `SELECT r.workload AS workload, r.backend AS backend, r.outcome AS outcome, r.duration_ms AS ms FROM sandbox_run_overhead AS r ${whereOf(conditions)} ` +
          'ORDER BY r.start_time, r.record_id',
      )
      .iterate(...params) as IterableIterator<{ workload: string; backend: string; outcome: string; ms: number }>;
    for (const run of runs) {
      const byBackend = rounds.get(run.workload);
      if (!byBackend) continue;
      const ms = run.outcome === 'success' ? run.ms : null;
      // A baseline run stands next to every other backend's runs; another backend's run only next to the baseline's.
      if (run.backend === BASELINE_BACKEND) for (const r of byBackend.values()) r.add('b', ms);
      else byBackend.get(run.backend)?.add('a', ms);
    }
  }
  const paired = new Map<string, Map<string, WorkloadRatio['paired']>>();
  for (const [workload, byBackend] of rounds) {
    const results = new Map<string, WorkloadRatio['paired']>();
    for (const [backend, r] of byBackend) {
      const pairs = pairedRounds(r.a, r.b);
      const difference = pairedDifference(pairs.a, pairs.b);
      results.set(backend, { pairs: pairs.a.length, difference, verdict: pairedVerdict(difference) });
    }
    paired.set(workload, results);
  }
  return paired;
}
