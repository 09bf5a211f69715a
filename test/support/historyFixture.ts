import Database from 'better-sqlite3';
import { percentileOfSorted } from '../../src/stats/percentile';
import type { SandboxPerfRecord, SandboxRunDetails } from '../../src/sandbox/types';
import type { HistoryReport, HistoryWindow, PhaseHistoryReport } from '../../src/state/read/HistoryReader';
import { MIGRATIONS } from '../../src/state/schema';
import { StateDatabase } from '../../src/state/StateDatabase';

/*
 * The one history seed fixture: runs with known answers, written either through the real writer
 * (the current schema) or by hand with the released migrations 1-3 (a file from before
 * migration 4). Two sets: `fixtureRuns(n)`, generated, with the report computed in memory from the
 * same runs by the project's percentile rule; and `seedRuns()`, 46 runs whose dashboard figures
 * are checked by hand (dashboardQueries.test.ts), written by `seedDatabase`.
 */

export interface FixtureRun {
  record: SandboxPerfRecord;
  details?: SandboxRunDetails;
}

export const FIXTURE_T0 = 1_700_000_000_000;
const BACKENDS = ['bubblewrap', 'docker', 'none'];

/**
 * `n` runs one second apart from FIXTURE_T0 over three backends, one in seven without details.
 * Durations are fractional, on a coarse grid so that ties occur; docker runs have two phases,
 * the others one.
 */
export function fixtureRuns(n: number, seed = 7): FixtureRun[] {
  let state = seed;
  const next = (): number => (state = (state * 48271) % 2147483647);
  const runs: FixtureRun[] = [];
  for (let i = 0; i < n; i++) {
    const backend = BACKENDS[next() % 3] as string;
    const durationMs = ((next() % 4000) + 1) / 8 + (backend === 'docker' ? 200 : 0);
    const record: SandboxPerfRecord = {
      sandboxId: `run-${i}`,
      startTime: FIXTURE_T0 + i * 1000,
      durationMs,
      outcome: i % 11 === 0 ? 'error' : 'success',
      alertFired: durationMs > 450,
    };
    if (i % 7 === 3) {
      runs.push({ record });
      continue;
    }
    const phases: Record<string, number> =
      backend === 'docker' ? { create: durationMs / 4, run: ((next() % 100) + 1) / 4 } : { run: ((next() % 50) + 1) / 2 };
    runs.push({ record, details: { backend, phases, exitCode: 0 } });
  }
  return runs;
}

/** Writes the runs through StateDatabase (its writer thread, the current schema). */
export async function writeCurrent(file: string, runs: readonly FixtureRun[]): Promise<void> {
  const db = new StateDatabase({ path: file, handleExit: false });
  for (const { record, details } of runs) db.insert('sandbox_perf_records', record, details);
  await db.close();
}

/** Writes the runs as sandbox-perf did at schema version 3: the released migrations 1-3 and their inserts. */
export function writeVersion3(file: string, runs: readonly FixtureRun[]): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.transaction(() => {
    for (const migration of MIGRATIONS.slice(0, 3)) db.exec(migration);
    db.pragma('user_version = 3');
    const insertRecord = db.prepare(
      'INSERT INTO sandbox_perf_records (sandbox_id, start_time, duration_ms, outcome, alert_fired, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const insertDetails = db.prepare('INSERT INTO sandbox_run_details (record_id, backend, exit_code) VALUES (?, ?, ?)');
    const insertPhase = db.prepare('INSERT INTO sandbox_run_phases (record_id, phase, duration_ms) VALUES (?, ?, ?)');
    for (const { record, details } of runs) {
      const { lastInsertRowid: id } = insertRecord.run(
        record.sandboxId,
        record.startTime,
        record.durationMs,
        record.outcome,
        record.alertFired ? 1 : 0,
        new Date(record.startTime + record.durationMs).toISOString(),
      );
      if (!details) continue;
      insertDetails.run(id, details.backend, details.exitCode ?? null);
      for (const [phase, ms] of Object.entries(details.phases ?? {})) insertPhase.run(id, phase, ms);
    }
  })();
  db.close();
}

function inWindow(run: FixtureRun, window: HistoryWindow): boolean {
  const t = run.record.startTime;
  return (
    (window.since === undefined || t >= window.since) &&
    (window.until === undefined || t < window.until) &&
    (window.backend === undefined || run.details?.backend === window.backend)
  );
}

/** The report of HistoryReader, computed in memory: nearest rank on the sorted durations. */
export function expectedReport(runs: readonly FixtureRun[], window: HistoryWindow): HistoryReport {
  const durations = Float64Array.from(runs.filter((run) => inWindow(run, window)).map((run) => run.record.durationMs)).sort();
  const count = durations.length;
  if (count === 0) return { count: 0, meanMs: 0, minMs: 0, maxMs: 0, alertCount: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 };
  return {
    count,
    meanMs: durations.reduce((a, b) => a + b, 0) / count,
    minMs: durations[0] as number,
    maxMs: durations[count - 1] as number,
    alertCount: runs.filter((run) => inWindow(run, window) && run.record.alertFired).length,
    p50Ms: percentileOfSorted(durations, 0.5),
    p95Ms: percentileOfSorted(durations, 0.95),
    p99Ms: percentileOfSorted(durations, 0.99),
  };
}

/** HistoryReader.phases, computed in memory, ordered by backend then phase. */
export function expectedPhases(runs: readonly FixtureRun[], window: HistoryWindow): PhaseHistoryReport[] {
  const groups = new Map<string, number[]>();
  for (const run of runs) {
    if (!run.details || !inWindow(run, window)) continue;
    for (const [phase, ms] of Object.entries(run.details.phases ?? {})) {
      const key = `${run.details.backend}\u0000${phase}`;
      const values = groups.get(key);
      if (values) values.push(ms);
      else groups.set(key, [ms]);
    }
  }
  return [...groups.keys()].sort().map((key) => {
    const [backend, phase] = key.split('\u0000') as [string, string];
    const values = Float64Array.from(groups.get(key) as number[]).sort();
    return {
      backend,
      phase,
      count: values.length,
      meanMs: values.reduce((a, b) => a + b, 0) / values.length,
      p95Ms: percentileOfSorted(values, 0.95),
    };
  });
}

/** 2024-01-01T00:00:00Z: seeded runs start one minute apart from here. */
export const SEED_T0 = Date.UTC(2024, 0, 1);
export const SEED_THRESHOLD_MS = 5000;

/**
 * 46 runs with hand-checked statistics (see dashboardQueries.test.ts):
 * none 10…200 ms (20), docker 100…2000 ms (20), bubblewrap 30, 40, 50, 6000 ms (the last a
 * timeout over the threshold), and two runs without details: 7000 ms (timeout, alert) and 3 ms (error).
 */
export function seedRuns(): FixtureRun[] {
  const runs: { durationMs: number; outcome: SandboxPerfRecord['outcome']; backend?: string }[] = [];
  for (let i = 1; i <= 20; i++) runs.push({ durationMs: 10 * i, outcome: 'success', backend: 'none' });
  for (let i = 1; i <= 20; i++) runs.push({ durationMs: 100 * i, outcome: 'success', backend: 'docker' });
  runs.push({ durationMs: 30, outcome: 'success', backend: 'bubblewrap' });
  runs.push({ durationMs: 40, outcome: 'success', backend: 'bubblewrap' });
  runs.push({ durationMs: 50, outcome: 'success', backend: 'bubblewrap' });
  runs.push({ durationMs: 6000, outcome: 'timeout', backend: 'bubblewrap' });
  runs.push({ durationMs: 7000, outcome: 'timeout' });
  runs.push({ durationMs: 3, outcome: 'error' });
  return runs.map((run, k) => {
    const record: SandboxPerfRecord = {
      sandboxId: `sb-${k}`,
      startTime: SEED_T0 + k * 60_000,
      durationMs: run.durationMs,
      outcome: run.outcome,
      alertFired: run.durationMs > SEED_THRESHOLD_MS,
    };
    return run.backend === undefined ? { record } : { record, details: { backend: run.backend } };
  });
}

/** Writes the seeded runs through the real StateDatabase into `file`, then closes it. */
export function seedDatabase(file: string): Promise<void> {
  return writeCurrent(file, seedRuns());
}
