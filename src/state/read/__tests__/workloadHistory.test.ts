import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { HistoryReader } from '../HistoryReader';
import { readDashboardSummary } from '../dashboardQueries';
import type { SandboxOutcome } from '../../../sandbox/types';
import { storeRuns } from '../../../../test/support/storeRuns';
import { tempDir } from '../../../../test/support/tempDir';
import { summarizeBackends, type BackendRounds } from '../../../compare/summarizeBackends';

let dir: string;
let file: string;
beforeEach(() => {
  dir = tempDir('workload-history');
  file = path.join(dir, 'state.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

type Run = [workload: string, backend: string, durationMs: number, outcome: SandboxOutcome, commandMs?: number];

/** Writes runs with exact durations through the real writer (SqliteStore), one transaction. */
function write(runs: readonly Run[]): void {
  storeRuns(
    file,
    runs.map(([workload, backend, durationMs, outcome, commandMs], i) => ({
      record: { sandboxId: `run-${i}`, startTime: 1_000_000 + i * 1000, durationMs, outcome, alertFired: durationMs > 5000 },
      details: {
        backend,
        workload,
        workloadLabel: workload === 'cmd-aaaaaaaaaaaa' ? 'true' : workload,
        ...(commandMs === undefined ? {} : { commandMs, timer: 'launcher' }),
      },
    })),
  );
}

test('ratios only within one workload, with the run counts on each side; failed and timed-out runs counted, not averaged', () => {
  write([
    ['cmd-aaaaaaaaaaaa', 'none', 10, 'success', 9],
    ['cmd-aaaaaaaaaaaa', 'none', 12, 'success', 11],
    ['cmd-aaaaaaaaaaaa', 'bubblewrap', 11, 'success', 8],
    ['cmd-aaaaaaaaaaaa', 'bubblewrap', 13, 'success', 10],
    ['cmd-aaaaaaaaaaaa', 'bubblewrap', 500, 'error'],
    ['cmd-aaaaaaaaaaaa', 'bubblewrap', 30_000, 'timeout'],
    ['nightly build', 'none', 1000, 'success'],
    ['nightly build', 'docker', 1100, 'success'],
    ['nightly build', 'docker', 1300, 'success'],
  ]);
  const reader = new HistoryReader(file);
  const [short, build] = reader.byWorkload();
  expect(short?.label).toBe('true');
  expect(short?.backends.find((b) => b.backend === 'bubblewrap')).toEqual({
    backend: 'bubblewrap',
    outcomes: { success: 2, timeout: 1, error: 1 },
    runs: 2,
    meanMs: 12,
    stddevMs: Math.SQRT2,
    meanCommandMs: 9,
    meanOverheadMs: 3,
    timedRuns: 2,
    // Nearest rank of two: the lower one.
    medianCommandMs: 8,
    medianOverheadMs: 3,
    // Issue 26.1: 3 ms around the command, its command 1 ms faster than none's (mean 10 ms): 2 ms in all.
    isolationMs: expect.objectContaining({ fixed: 3, inCommand: -1, total: 2, method: 'unpaired', runs: 2 }) as unknown,
  });
  expect(build?.backends.map((b) => b.isolationMs)).toEqual([null, null]);
  expect(short?.vsBaseline).toEqual([
    {
      backend: 'bubblewrap',
      baseline: 'none',
      ratio: { ratio: 12 / 11, error: expect.any(Number) as number },
      difference: { difference: 1, error: 2 },
      // One run of each next to the other (none 12 ms, bubblewrap 11 ms): one pair, no interval.
      paired: { pairs: 1, difference: null, verdict: 'too few pairs' },
      runs: 2,
      baselineRuns: 2,
    },
  ]);
  expect(build).toMatchObject({ workload: 'nightly build', label: 'nightly build' });
  expect(build?.vsBaseline).toEqual([
    {
      backend: 'docker',
      baseline: 'none',
      ratio: { ratio: 1.2, error: expect.any(Number) as number },
      difference: { difference: 200, error: expect.closeTo(100 * Math.SQRT2, 9) as number },
      paired: { pairs: 1, difference: null, verdict: 'too few pairs' },
      runs: 2,
      baselineRuns: 1,
    },
  ]);
  expect(build?.backends.find((b) => b.backend === 'docker')).toMatchObject({
    meanCommandMs: null,
    meanOverheadMs: null,
    timedRuns: 0,
    medianCommandMs: null,
    medianOverheadMs: null,
  });
  // Filters: one workload, one backend, a time window.
  expect(reader.byWorkload({ workload: 'nightly build' }).map((w) => w.workload)).toEqual(['nightly build']);
  expect(reader.byWorkload({ backend: 'docker' }).map((w) => w.workload)).toEqual(['nightly build']);
  expect(reader.byWorkload({ since: 1_000_000 + 6000 }).map((w) => w.workload)).toEqual(['nightly build']);
  expect(() => reader.byWorkload({ workload: '' })).toThrow(/^Expected `workload` to be a non-empty string, got `""` \(string\)$/);
  reader.close();
}, 30_000);

// Issue 22: the dashboard's Δ vs none propagated both σ, unpaired, where compare pairs its rounds.
test('paired against none as compare pairs its rounds: the same difference interval and verdict from the same runs', () => {
  const none = [100, 104, 98, 101, 99, 103];
  const unshare = [130, null, 127, 133, 129, 131];
  const docker = [400, 410, 405, 395, 402, 398];
  // A compare of none, unshare and docker, round after round (a failed unshare run in round 2), after
  // an earlier compare of none against bubblewrap alone: none's runs there have no unshare run beside them.
  const runs: Run[] = [];
  for (const ms of [90, 91, 92]) runs.push(['w', 'none', ms, 'success'], ['w', 'bubblewrap', ms + 5, 'success']);
  none.forEach((ms, i) => {
    const u = unshare[i] ?? null;
    runs.push(
      ['w', 'none', ms, 'success'],
      ['w', 'unshare', u ?? 2, u === null ? 'error' : 'success'],
      ['w', 'docker', docker[i] as number, 'success'],
    );
  });
  write(runs);
  const [report] = new HistoryReader(file).byWorkload();
  const round = (backend: BackendRounds['backend'], roundsMs: (number | null)[]): BackendRounds => ({
    backend,
    roundsMs,
    exitCodes: roundsMs.map(() => 0),
    cpu: [],
    phases: [],
    failures: roundsMs.filter((x) => x === null).length,
    firstError: null,
    prepareMs: 0,
    teardownMs: 0,
    warmupRuns: 0,
  });
  const compared = summarizeBackends([round('none', none), round('unshare', unshare), round('docker', docker)], 0);
  for (const backend of ['unshare', 'docker'] as const) {
    const ours = report?.vsBaseline.find((r) => r.backend === backend)?.paired;
    const theirs = compared.find((c) => c.backend === backend)?.paired;
    expect(ours).toEqual({ pairs: theirs?.pairs, difference: theirs?.difference, verdict: theirs?.verdict });
  }
  expect(report?.vsBaseline.find((r) => r.backend === 'unshare')?.paired.pairs).toBe(5);
  expect(report?.vsBaseline.find((r) => r.backend === 'bubblewrap')?.paired).toMatchObject({ pairs: 3, verdict: 'slower' });
});

test('a workload without a none baseline has statistics and no ratio; a missing file reads as empty', () => {
  expect(new HistoryReader(file).byWorkload()).toEqual([]);
  write([['w', 'docker', 100, 'success']]);
  const reader = new HistoryReader(file);
  expect(reader.byWorkload()).toEqual([
    {
      workload: 'w',
      label: 'w',
      backends: [expect.objectContaining({ backend: 'docker', runs: 1, meanMs: 100, stddevMs: 0 }) as unknown],
      vsBaseline: [],
    },
  ]);
  reader.close();
}, 30_000);

test('medians of commandMs and overheadMs: nearest rank over the timed successful runs of that workload and backend only', () => {
  write([
    ['m', 'none', 10, 'success', 1],
    ['m', 'none', 20, 'success', 15],
    ['m', 'none', 30, 'success', 2],
    ['m', 'none', 40, 'success'],
    ['m', 'none', 50, 'error', 49],
    ['other', 'none', 1000, 'success', 1],
  ]);
  const reader = new HistoryReader(file);
  const none = reader.byWorkload({ workload: 'm' })[0]?.backends[0];
  // commandMs 1, 2, 15 → 2; overheadMs 9, 5, 28 → 9 (rank ceil(0.5 · 3) = 2); the untimed and the failed run are not in them.
  expect(none).toMatchObject({ runs: 4, timedRuns: 3, medianCommandMs: 2, medianOverheadMs: 9, meanOverheadMs: 14 });
  reader.close();
}, 30_000);

test("the dashboard's summary carries the same per-workload reports as HistoryReader.byWorkload, in the same window", () => {
  write([
    ['cmd-aaaaaaaaaaaa', 'none', 10, 'success', 9],
    ['cmd-aaaaaaaaaaaa', 'unshare', 14, 'success', 9],
    ['cmd-aaaaaaaaaaaa', 'unshare', 16, 'success', 10],
    ['sleep', 'none', 1000, 'success', 999],
    ['sleep', 'unshare', 1010, 'success', 1001],
  ]);
  const reader = new HistoryReader(file);
  const db = new Database(file, { readonly: true });
  try {
    const all = readDashboardSummary(db).workloads;
    expect(all).toEqual(reader.byWorkload());
    expect(all.map((w) => [w.workload, w.vsBaseline.map((r) => [r.backend, r.runs, r.baselineRuns])])).toEqual([
      ['cmd-aaaaaaaaaaaa', [['unshare', 2, 1]]],
      ['sleep', [['unshare', 1, 1]]],
    ]);
    expect(readDashboardSummary(db, { sinceMs: 1_000_000 + 3000 }).workloads).toEqual(reader.byWorkload({ since: 1_000_000 + 3000 }));
  } finally {
    db.close();
    reader.close();
  }
}, 30_000);
