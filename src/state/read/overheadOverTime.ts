// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import { canaryRatio } from '../../stats/canaryRatio';

/*
 * The dashboard's "overhead over time", per backend, in its two parts (docs/runners.md, "what the
 * canary tracks"):
 * - fixed cost: what isolation adds around the command (sandbox_run_overhead.overhead_ms, schema
 *   5), the median of the successful runs of each time bin, every workload together (the fixed
 *   cost belongs to the sandbox, not to the command);
 * - slowdown inside the command: per canary round (canary_round, schema 7), median command time on
 *   the backend / on none over the round's paired runs (stats/canaryRatio.ts), per workload.
 * Medians follow the project's rule: nearest rank, 1-based rank ceil(n / 2), in SQL as (50 n + 99) / 100.
 * Read-only; runs on the dashboard's query thread.
 */

/** Canary rounds shown at most (the newest): bounds the rows read and the points drawn. */
export const MAX_CANARY_ROUNDS = 240;
const OVERHEAD_VERSION = 5;
const CANARY_VERSION = 7;

export interface FixedCostPoint {
  /** Start of the bin, epoch ms (a multiple of binMs). */
  start: number;
  /** Median overhead_ms of the bin's successful runs. */
  medianMs: number;
  runs: number;
}

export interface CanaryRoundPoint {
  /** The round's start, epoch ms. */
  round: number;
  /** Median command time on the backend / on none; null when no run of a side succeeded. */
  ratio: number | null;
  /** Rounds of the comparison where both sides succeeded. */
  pairs: number;
  /** `command` (the commands' own times) or `duration` (no command timer on a side). */
  basis: 'command' | 'duration';
}

export interface OverheadOverTime {
  /** Width of a fixed-cost bin, ms (the runs-over-time chart's). */
  binMs: number;
  fixedCost: { backend: string; points: FixedCostPoint[] }[];
  canary: { backend: string; workload: string; label: string; rounds: CanaryRoundPoint[] }[];
}

interface CanaryRow {
  round: number;
  workload: string;
  label: string | null;
  backend: string;
  ok: number;
  durationMs: number;
  commandMs: number | null;
}

function fixedCost(db: Database.Database, since: number, binMs: number): OverheadOverTime['fixedCost'] {
  // better-sqlite3 binds JS numbers as REAL: the CASTs keep the division an integer one.
  const rows = db
    .prepare(
      `WITH r AS (
         SELECT backend, (start_time / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS bin, overhead_ms
           FROM sandbox_run_overhead
          WHERE start_time >= ? AND outcome = 'success' AND overhead_ms IS NOT NULL),
       ranked AS (
         SELECT backend, bin, overhead_ms,
                ROW_NUMBER() OVER (PARTITION BY backend, bin ORDER BY overhead_ms) AS rn,
                COUNT(*) OVER (PARTITION BY backend, bin) AS n
           FROM r)
       SELECT backend, bin AS start, MAX(CASE WHEN rn = (50 * n + 99) / 100 THEN overhead_ms END) AS medianMs, MAX(n) AS runs
         FROM ranked GROUP BY backend, bin ORDER BY backend, bin`,
    )
    .all(binMs, binMs, since) as (FixedCostPoint & { backend: string })[];
  const byBackend = new Map<string, FixedCostPoint[]>();
  for (const { backend, ...point } of rows) {
    let points = byBackend.get(backend);
    if (!points) byBackend.set(backend, (points = []));
    points.push(point);
  }
  return [...byBackend].map(([backend, points]) => ({ backend, points }));
}

function canaryRounds(db: Database.Database, since: number): OverheadOverTime['canary'] {
  const rows = db
    .prepare(
      `SELECT o.canary_round AS round, o.workload, w.label, o.backend, o.outcome = 'success' AS ok, o.duration_ms AS durationMs,
              o.command_ms AS commandMs
         FROM sandbox_run_overhead o LEFT JOIN sandbox_workloads w ON w.workload = o.workload
        WHERE o.canary_round IN (
                SELECT DISTINCT canary_round FROM sandbox_run_overhead
                 WHERE canary_round IS NOT NULL AND canary_round >= ? ORDER BY canary_round DESC LIMIT ?)
          AND o.workload IS NOT NULL
        ORDER BY o.canary_round, o.workload, o.start_time, o.record_id`,
    )
    .all(since, MAX_CANARY_ROUNDS) as CanaryRow[];
  // Per round and workload, each backend's runs in the order they ran: run i of each is a pair.
  const rounds = new Map<string, { round: number; workload: string; label: string; runs: Map<string, CanaryRow[]> }>();
  for (const row of rows) {
    const key = `${row.round}\0${row.workload}`;
    let entry = rounds.get(key);
    if (!entry) rounds.set(key, (entry = { round: row.round, workload: row.workload, label: row.label ?? row.workload, runs: new Map() }));
    const list = entry.runs.get(row.backend) ?? [];
    list.push(row);
    entry.runs.set(row.backend, list);
  }
  const series = new Map<string, OverheadOverTime['canary'][number]>();
  const asSeries = (runs: CanaryRow[]): { durationsMs: (number | null)[]; commandMs: (number | null)[] } => ({
    durationsMs: runs.map((r) => (r.ok ? r.durationMs : null)),
    commandMs: runs.map((r) => (r.ok ? r.commandMs : null)),
  });
  for (const { round, workload, label, runs } of rounds.values()) {
    const baseline = runs.get('none');
    if (baseline === undefined) continue;
    for (const [backend, list] of runs) {
      if (backend === 'none') continue;
      // No interval here (resamples 0): a point per round, cheap for hundreds of rounds.
      const r = canaryRatio(asSeries(list), asSeries(baseline), 0);
      const key = `${backend}\0${workload}`;
      let s = series.get(key);
      if (!s) series.set(key, (s = { backend, workload, label, rounds: [] }));
      s.rounds.push({ round, ratio: r.ratio, pairs: r.pairs, basis: r.basis });
    }
  }
  return [...series.values()].sort((a, b) => (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : a.label < b.label ? -1 : 1));
}

/** Both parts for the window; empty before schema 5 (no decomposition) and without canary rounds before schema 7. */
export function readOverheadOverTime(
  db: Database.Database,
  schemaVersion: number,
  options: { sinceMs?: number | undefined; binMs: number },
): OverheadOverTime {
  const since = options.sinceMs ?? Number.MIN_SAFE_INTEGER;
  return {
    binMs: options.binMs,
    fixedCost: schemaVersion >= OVERHEAD_VERSION ? fixedCost(db, since, options.binMs) : [],
    canary: schemaVersion >= CANARY_VERSION ? canaryRounds(db, since) : [],
  };
}
