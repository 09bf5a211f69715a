import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { HistoryReader } from '../HistoryReader';
import { StateDatabase } from '../../StateDatabase';
import { SCHEMA_VERSION, SchemaTooNewError } from '../../schema';
import { APPLICATION_ID } from '../../ownership';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import type { SandboxPerfRecord } from '../../../sandbox/types';
import { tempDir } from '../../../../test/support/tempDir';
import {
  FIXTURE_T0,
  expectedPhases,
  expectedReport,
  fixtureRuns,
  writeCurrent,
  writeVersion3,
  type FixtureRun,
} from '../../../../test/support/historyFixture';

let dir: string;
let file: string;
beforeEach(() => {
  dir = tempDir('history');
  file = path.join(dir, 'state.db');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const T0 = 1_700_000_000_000;

/** Runs 1..20 ms long, one a second from T0; longer than 15 ms alerted; even ones on docker with phases. */
async function writeFixture(): Promise<void> {
  const db = new StateDatabase({ path: file, handleExit: false });
  for (let i = 0; i < 20; i++) {
    const durationMs = i + 1;
    const record: SandboxPerfRecord = {
      sandboxId: `f-${i}`,
      startTime: T0 + i * 1000,
      durationMs,
      outcome: 'success',
      alertFired: durationMs > 15,
    };
    if (i % 2 === 0)
      db.insert('sandbox_perf_records', record, { backend: 'docker', phases: { create: durationMs / 2, run: durationMs / 4 } });
    else db.insert('sandbox_perf_records', record, i % 3 === 0 ? { backend: 'none' } : undefined);
  }
  await db.close();
}

test('report over a hand-computed fixture (nearest rank: index ceil(q * n) - 1)', async () => {
  await writeFixture();
  const reader = new HistoryReader(file);
  // 1..20: mean 10.5; p50 = 10th = 10; p95 = 19th = 19; p99 = 20th = 20; alerts 16..20.
  expect(reader.report()).toEqual({ count: 20, meanMs: 10.5, minMs: 1, maxMs: 20, alertCount: 5, p50Ms: 10, p95Ms: 19, p99Ms: 20 });
  // Since is inclusive: runs 11..20 (n = 10: p50 = 5th = 15, p95 = 10th = 20).
  expect(reader.report({ since: T0 + 10_000 })).toEqual({
    count: 10,
    meanMs: 15.5,
    minMs: 11,
    maxMs: 20,
    alertCount: 5,
    p50Ms: 15,
    p95Ms: 20,
    p99Ms: 20,
  });
  // Until is exclusive: runs 1..5.
  expect(reader.report({ until: T0 + 5000 })).toEqual({
    count: 5,
    meanMs: 3,
    minMs: 1,
    maxMs: 5,
    alertCount: 0,
    p50Ms: 3,
    p95Ms: 5,
    p99Ms: 5,
  });
  // docker: the odd durations 1, 3, ..., 19 (n = 10): mean 10, p50 = 5th = 9, p95 = 10th = 19; alerts 17, 19.
  expect(reader.report({ backend: 'docker' })).toEqual({
    count: 10,
    meanMs: 10,
    minMs: 1,
    maxMs: 19,
    alertCount: 2,
    p50Ms: 9,
    p95Ms: 19,
    p99Ms: 19,
  });
  expect(reader.report({ backend: 'docker', since: T0 + 10_000, until: T0 + 14_000 })).toMatchObject({ count: 2, minMs: 11, maxMs: 13 });
  expect(reader.report({ backend: 'gvisor' })).toMatchObject({ count: 0, meanMs: 0, p95Ms: 0 });
  expect(reader.report({ since: T0 + 60_000 })).toMatchObject({ count: 0 });
  reader.close();
});

test('byBackend, phases and histogram over the fixture', async () => {
  await writeFixture();
  const reader = new HistoryReader(file);
  // none: i = 3, 9, 15 → durations 4, 10, 16.
  expect(reader.byBackend()).toEqual([
    { backend: 'docker', count: 10, meanMs: 10, minMs: 1, maxMs: 19, alertCount: 2, p50Ms: 9, p95Ms: 19, p99Ms: 19 },
    { backend: 'none', count: 3, meanMs: 10, minMs: 4, maxMs: 16, alertCount: 1, p50Ms: 10, p95Ms: 16, p99Ms: 16 },
  ]);
  expect(reader.byBackend({ until: T0 + 4000 }).map((r) => [r.backend, r.count])).toEqual([
    ['docker', 2],
    ['none', 1],
  ]);
  // Phases of the docker runs: create = duration / 2, run = duration / 4.
  expect(reader.phases()).toEqual([
    { backend: 'docker', phase: 'create', count: 10, meanMs: 5, p95Ms: 9.5 },
    { backend: 'docker', phase: 'run', count: 10, meanMs: 2.5, p95Ms: 4.75 },
  ]);
  // Upper bounds 5, 10, 15 and the maximum: [1,5) [5,10) [10,15) [15,20].
  expect(reader.histogram({}, [5, 10, 15]).map((b) => [b.lowerMs, b.upperMs, b.count])).toEqual([
    [1, 5, 4],
    [5, 10, 5],
    [10, 15, 5],
    [15, 20, 6],
  ]);
  // Two equal-width buckets over [1, 20]: width 9.5.
  expect(reader.histogram({}, 2).map((b) => [b.lowerMs, b.upperMs, b.count])).toEqual([
    [1, 10.5, 10],
    [10.5, 20, 10],
  ]);
  expect(reader.histogram({ backend: 'docker' }, 1)).toEqual([{ lowerMs: 1, upperMs: 19, count: 10 }]);
  expect(reader.histogram({ since: T0 + 60_000 }, 4)).toEqual([]);
  // 1 000 upper bounds (report --buckets 1000): SQLite refused a flat sum that deep (hostile trial 2026-12-07).
  const many = reader.histogram(
    {},
    Array.from({ length: 1000 }, (_, i) => 1 + i * 0.019),
  );
  expect(many.reduce((sum, b) => sum + b.count, 0)).toBe(20);
  expect(many.at(-1)?.count).toBe(reader.histogram({}, [19.981]).at(-1)?.count);
  reader.close();
});

test('equals the in-memory report of the monitor for the same records', async () => {
  const db = new StateDatabase({ path: file, handleExit: false });
  const monitor = new SandboxPerfMonitor({ sink: db, alertThresholdMs: 0.05 });
  let seed = 7;
  for (let i = 0; i < 3000; i++) {
    monitor.start(`m-${i}`);
    seed = (seed * 48271) % 2147483647;
    // A varied, real duration: spin for up to ~0.1 ms.
    const until = performance.now() + (seed % 100) / 1000;
    while (performance.now() < until);
    monitor.stop(`m-${i}`, { outcome: 'success' });
  }
  await db.close();
  const memory = monitor.getReport();
  expect(memory.p95Exact).toBe(true);
  const reader = new HistoryReader(file);
  const history = reader.report();
  expect(history.count).toBe(memory.count);
  expect(history.alertCount).toBe(memory.alertCount);
  expect(history.alertCount).toBeGreaterThan(0);
  expect(history.meanMs).toBeCloseTo(memory.meanMs, 9);
  expect(history.minMs).toBe(memory.minMs);
  expect(history.maxMs).toBe(memory.maxMs);
  expect(history.p50Ms).toBe(memory.p50Ms);
  expect(history.p95Ms).toBe(memory.p95Ms);
  expect(history.p99Ms).toBe(memory.p99Ms);
  reader.close();
});

const RUNS = 3000;
const WINDOWS = [
  {},
  { since: FIXTURE_T0 + 1500 * 1000 },
  { until: FIXTURE_T0 + 1000 * 1000 },
  // Narrow: the rank queries sort the window's rows rather than walk the duration index.
  { since: FIXTURE_T0 + 100 * 1000, until: FIXTURE_T0 + 160 * 1000 },
  { since: FIXTURE_T0 + 300 * 1000, until: FIXTURE_T0 + 2900 * 1000 },
];

/** The mean to 9 digits (the sums run in another order), everything else exactly. */
const approxMean = <T extends { meanMs: number }>(expected: T): T => ({
  ...expected,
  meanMs: expect.closeTo(expected.meanMs, 9) as number,
});

/** Every window with every backend (and none, and one without runs) against the in-memory computation. */
function expectMatchesMemory(reader: HistoryReader, runs: readonly FixtureRun[]): void {
  for (const window of WINDOWS) {
    for (const backend of [undefined, 'bubblewrap', 'docker', 'none', 'gvisor']) {
      const w = backend === undefined ? window : { ...window, backend };
      expect({ window: w, report: reader.report(w) }).toEqual({ window: w, report: approxMean(expectedReport(runs, w)) });
    }
    const byBackend = ['bubblewrap', 'docker', 'none'].map((backend) => ({ backend, ...expectedReport(runs, { ...window, backend }) }));
    expect(reader.byBackend(window)).toEqual(byBackend.map(approxMean));
    for (const w of [window, { ...window, backend: 'docker' }]) {
      expect(reader.phases(w)).toEqual(expectedPhases(runs, w).map(approxMean));
    }
  }
}

describe.each([
  ['the current schema, written by StateDatabase', writeCurrent],
  [
    'schema version 3 (a file no writer has migrated yet: joins)',
    (f: string, runs: readonly FixtureRun[]): Promise<void> => {
      writeVersion3(f, runs);
      return Promise.resolve();
    },
  ],
])('per backend and per phase, equal to the in-memory computation: %s', (_, write) => {
  test('report, byBackend and phases over every window', async () => {
    const runs = fixtureRuns(RUNS);
    await write(file, runs);
    const reader = new HistoryReader(file);
    expectMatchesMemory(reader, runs);
    reader.close();
  });
});

test('a file migrated from version 3 gives the same answers, also to a reader opened before the migration', async () => {
  const runs = fixtureRuns(RUNS + 500, 11);
  writeVersion3(file, runs.slice(0, RUNS));
  const reader = new HistoryReader(file);
  expectMatchesMemory(reader, runs.slice(0, RUNS));
  // A writer of this version migrates the file under the open reader, and goes on writing.
  await writeCurrent(file, runs.slice(RUNS));
  const check = new Database(file, { readonly: true });
  expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  check.close();
  expectMatchesMemory(reader, runs);
  reader.close();
});

test('regression: a backend with a time window on a version 3 file is not quadratic', () => {
  // With the details outermost, the windowed sort scanned the window's start times once per
  // detail row: about 7 000 × 24 000 index steps here (5 s before the fix, 30 ms after), 250 000 ×
  // 1 000 000 at the scale of the issue.
  const runs = fixtureRuns(24_000);
  writeVersion3(file, runs);
  const reader = new HistoryReader(file);
  const window = { since: FIXTURE_T0, until: FIXTURE_T0 + 24_000 * 1000, backend: 'none' };
  const t0 = performance.now();
  const report = reader.report(window);
  expect(performance.now() - t0).toBeLessThan(1000);
  expect(report).toEqual(approxMean(expectedReport(runs, window)));
  reader.close();
});

test('a missing file reads as empty, and is read once it appears', async () => {
  const reader = new HistoryReader(file);
  expect(reader.report()).toEqual({ count: 0, meanMs: 0, minMs: 0, maxMs: 0, alertCount: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 });
  expect(reader.byBackend()).toEqual([]);
  expect(reader.phases()).toEqual([]);
  expect(reader.histogram({}, 10)).toEqual([]);
  expect(fs.existsSync(file)).toBe(false);
  await writeFixture();
  expect(reader.report().count).toBe(20);
  reader.close();
});

test('a file from a newer schema throws SchemaTooNewError and is not modified', () => {
  const future = new Database(file);
  future.pragma(`application_id = ${APPLICATION_ID}`);
  future.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  future.close();
  const before = fs.readFileSync(file);
  expect(() => new HistoryReader(file)).toThrow(SchemaTooNewError);
  expect(() => new HistoryReader(file)).toThrow(/newer than this sandbox-perf understands/);
  expect(fs.readFileSync(file).equals(before)).toBe(true);
});

test('bad arguments are rejected with the one message shape', async () => {
  await writeFixture();
  const reader = new HistoryReader(file);
  expect(() => new HistoryReader('')).toThrow(/^Expected `path` to be a non-empty file path/);
  expect(() => reader.report({ since: Number.NaN })).toThrow(/^Expected `since` to be a finite number/);
  expect(() => reader.report({ backend: '' })).toThrow(/^Expected `backend` to be a non-empty string, got `""` \(string\)/);
  expect(() => reader.histogram({}, 0)).toThrow(/^Expected `buckets` to be a finite integer >= 1 and <= 1000, got `0`/);
  expect(() => reader.histogram({}, [5, 5])).toThrow(/^Expected `buckets\[1\]` to be a finite number above the previous bound, got `5`/);
  reader.close();
});
