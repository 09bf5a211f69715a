import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { seedDatabase, SEED_T0 } from '../../../../test/support/historyFixture';
import {
  readBackendOverhead,
  readDashboardSummary,
  readRunsAfter,
  readMaxRunId,
  readRunsOverTime,
  readTotals,
  type BackendOverhead,
} from '../dashboardQueries';
import { SCHEMA_VERSION, SchemaTooNewError } from '../../schema';
import { FIXTURE_T0, fixtureRuns, writeCurrent, writeVersion3, type FixtureRun } from '../../../../test/support/historyFixture';

let dir: string;
let file: string;
let db: Database.Database;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-dash-'));
  file = path.join(dir, 'state.db');
  await seedDatabase(file);
  db = new Database(file, { readonly: true });
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('totals: counts, mean, nearest-rank p95 and max of the seeded runs', () => {
  const { totals, schemaVersion } = readDashboardSummary(db);
  expect(schemaVersion).toBe(SCHEMA_VERSION);
  expect(totals).toEqual({
    runs: 46,
    alerts: 2,
    success: 43,
    timeout: 2,
    error: 1,
    meanMs: 36223 / 46,
    // rank ceil(0.95 * 46) = 44: the third largest of …, 2000, 6000, 7000
    p95Ms: 2000,
    maxMs: 7000,
    firstStart: SEED_T0,
    lastStart: SEED_T0 + 45 * 60_000,
  });
});

test('duration histogram on the Prometheus bucket edges', () => {
  const { histogram } = readDashboardSummary(db);
  expect(histogram.edgesMs).toEqual([5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000]);
  expect(histogram.counts).toEqual([1, 1, 1, 6, 6, 11, 3, 5, 10, 0, 2, 0, 0, 0, 0, 0]);
});

test('overhead per backend, descriptive only: no ratio across workloads (issue 14)', () => {
  const { backends } = readDashboardSummary(db);
  const docker = backends.find((b) => b.backend === 'docker');
  expect(docker).toMatchObject({ count: 20, meanMs: 1050, p50Ms: 1000, p95Ms: 1900, maxMs: 2000, alerts: 0 });
  expect(Object.keys(docker ?? {})).not.toContain('ratioVsNone');
});

// Issue 22: 15 instant failures made docker-pool look fastest; the statistics mixed every outcome.
test('runs per backend: statistics of the successful runs, timed-out and failed runs counted apart, by mean', () => {
  const { backends } = readDashboardSummary(db);
  expect(backends.map((b) => b.backend)).toEqual(['bubblewrap', 'none', 'docker', 'unknown']);
  const [bwrap, none, docker, unknown] = backends;
  // bubblewrap: 30, 40, 50 ms succeeded; a 6 s timeout (over the threshold) is counted apart, its alert kept.
  expect(bwrap).toEqual({
    backend: 'bubblewrap',
    count: 3,
    failed: { timeout: 1, error: 0 },
    meanMs: 40,
    stddevMs: 10,
    p50Ms: 40,
    p95Ms: 50,
    maxMs: 50,
    alerts: 1,
  });
  expect(none).toMatchObject({ count: 20, failed: { timeout: 0, error: 0 }, meanMs: 105, p50Ms: 100, p95Ms: 190, maxMs: 200, alerts: 0 });
  expect(none?.stddevMs).toBeCloseTo(59.16079783, 6);
  expect(docker).toMatchObject({ count: 20, failed: { timeout: 0, error: 0 } });
  // Runs without details, none successful (a 7 s timeout and a 3 ms error): no statistics, last.
  expect(unknown).toEqual({
    backend: 'unknown',
    count: 0,
    failed: { timeout: 1, error: 1 },
    meanMs: null,
    stddevMs: null,
    p50Ms: null,
    p95Ms: null,
    maxMs: null,
    alerts: 1,
  });
});

test('recent alerts, newest first, with their backend', () => {
  expect(readDashboardSummary(db).recentAlerts).toEqual([
    { sandboxId: 'sb-44', startTime: SEED_T0 + 44 * 60_000, durationMs: 7000, outcome: 'timeout', backend: 'unknown' },
    { sandboxId: 'sb-43', startTime: SEED_T0 + 43 * 60_000, durationMs: 6000, outcome: 'timeout', backend: 'bubblewrap' },
  ]);
  expect(readDashboardSummary(db, { recentAlerts: 1 }).recentAlerts).toHaveLength(1);
});

test('runs over time: contiguous bins of a round width, at most maxTimeBins', () => {
  const { timeline } = readDashboardSummary(db);
  expect(timeline.binMs).toBe(60_000);
  expect(timeline.bins).toHaveLength(46);
  expect(timeline.bins[0]).toEqual({ start: SEED_T0, success: 1, timeout: 0, error: 0 });
  expect(timeline.bins[45]).toEqual({ start: SEED_T0 + 45 * 60_000, success: 0, timeout: 0, error: 1 });
  const coarse = readRunsOverTime(db, { maxTimeBins: 10 });
  expect(coarse.binMs).toBe(300_000);
  expect(coarse.bins).toHaveLength(10);
  expect(coarse.bins.reduce((n, b) => n + b.success + b.timeout + b.error, 0)).toBe(46);
  expect(coarse.bins.every((b, i) => b.start === SEED_T0 + i * 300_000)).toBe(true);
});

test('sinceMs restricts every part to later runs', () => {
  const summary = readDashboardSummary(db, { sinceMs: SEED_T0 + 40 * 60_000 });
  expect(summary.totals.runs).toBe(6);
  expect(summary.backends.map((b) => [b.backend, b.count, b.failed.timeout + b.failed.error])).toEqual([
    ['bubblewrap', 3, 1],
    ['unknown', 0, 2],
  ]);
});

test('readRunsAfter pages through runs by id with their backend', () => {
  // The seeded runs name no workload and were not timed.
  const none = { workload: null, workloadLabel: null, overheadMs: null };
  const first = readRunsAfter(db, 0, 2);
  expect(first).toEqual([
    { id: 1, sandboxId: 'sb-0', startTime: SEED_T0, durationMs: 10, outcome: 'success', alertFired: false, backend: 'none', ...none },
    {
      id: 2,
      sandboxId: 'sb-1',
      startTime: SEED_T0 + 60_000,
      durationMs: 20,
      outcome: 'success',
      alertFired: false,
      backend: 'none',
      ...none,
    },
  ]);
  const rest = readRunsAfter(db, 40, 100);
  expect(rest.map((r) => r.id)).toEqual([41, 42, 43, 44, 45, 46]);
  expect(rest[3]).toMatchObject({ alertFired: true, backend: 'bubblewrap' });
  expect(rest[4]).toMatchObject({ alertFired: true, backend: null });
  expect(readMaxRunId(db)).toBe(46);
});

test('an empty file (no tables yet) gives an empty summary', () => {
  const empty = new Database(':memory:');
  const summary = readDashboardSummary(empty);
  expect(summary.totals.runs).toBe(0);
  expect(summary.histogram.counts).toHaveLength(16);
  expect(summary.timeline.bins).toEqual([]);
  expect(readRunsAfter(empty, 0, 10)).toEqual([]);
  expect(readMaxRunId(empty)).toBe(0);
  empty.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  expect(() => readDashboardSummary(empty)).toThrow(SchemaTooNewError);
  empty.close();
});

describe('from the indexes of schema 4, the same figures as the window functions over a version 3 file', () => {
  const close = (value: number | null): number | null => (value === null ? null : (expect.closeTo(value, 9) as number));
  const approx = (b: BackendOverhead): BackendOverhead => ({
    ...b,
    meanMs: close(b.meanMs),
    stddevMs: close(b.stddevMs),
  });

  async function compare(runs: readonly FixtureRun[]): Promise<void> {
    const v3 = path.join(dir, `v3-${runs.length}.db`);
    const v4 = path.join(dir, `v4-${runs.length}.db`);
    writeVersion3(v3, runs);
    await writeCurrent(v4, runs);
    const old = new Database(v3, { readonly: true });
    const current = new Database(v4, { readonly: true });
    try {
      expect(current.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      // All of it; the later half; the last 10 runs (the rank queries sort rather than walk).
      for (const options of [{}, { sinceMs: FIXTURE_T0 + (runs.length / 2) * 1000 }, { sinceMs: FIXTURE_T0 + (runs.length - 10) * 1000 }]) {
        const expected = readBackendOverhead(old, options);
        expect(expected.length).toBeGreaterThan(0);
        expect(readBackendOverhead(current, options)).toEqual(expected.map(approx));
        const totals = readTotals(old, options);
        expect(readTotals(current, options)).toEqual({ ...totals, meanMs: expect.closeTo(totals.meanMs, 9) as number });
      }
    } finally {
      old.close();
      current.close();
    }
  }

  test('backends and runs without details (unknown)', async () => {
    await compare(fixtureRuns(2000));
  });

  test('no run with details: unknown from the records alone', async () => {
    await compare(fixtureRuns(1500).map(({ record }) => ({ record })));
  });

  // Issue 22: the successes' percentiles from the indexes of all runs, less the failures (durations tied on a coarse grid).
  test('half the runs failed or timed out: the same successful-run statistics both ways', async () => {
    const outcomes = ['success', 'timeout', 'success', 'error'] as const;
    await compare(
      fixtureRuns(1200, 3).map((run, i) => ({
        ...run,
        record: { ...run.record, outcome: outcomes[i % 4] as FixtureRun['record']['outcome'] },
      })),
    );
  });
});
