import fs from 'node:fs';
import path from 'node:path';
import { HistoryReader } from '../HistoryReader';
import { SqliteStore } from '../SqliteStore';
import { ALERT_BIT, OUTCOME_CODES, type RecordBatch } from '../RecordBatch';
import type { SandboxOutcome, SandboxRunDetails } from '../../sandbox/types';
import { tempDir } from './faultKit';

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
  const batch: RecordBatch = {
    sandboxIds: runs.map((_, i) => `run-${i}`),
    startTimes: Float64Array.from(runs, (_, i) => 1_000_000 + i * 1000),
    durations: Float64Array.from(runs, (r) => r[2]),
    flags: Uint8Array.from(runs, (r) => OUTCOME_CODES.indexOf(r[3]) | (r[2] > 5000 ? ALERT_BIT : 0)),
    details: runs.map(([workload, backend, , , commandMs]): SandboxRunDetails => ({
      backend,
      workload,
      workloadLabel: workload === 'cmd-aaaaaaaaaaaa' ? 'true' : workload,
      ...(commandMs === undefined ? {} : { commandMs, timer: 'launcher' }),
    })),
  };
  const store = new SqliteStore(file, { busyTimeoutMs: 1000 });
  store.write(batch);
  store.close();
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
  });
  expect(short?.vsBaseline).toEqual([
    { backend: 'bubblewrap', baseline: 'none', ratio: { ratio: 12 / 11, error: expect.any(Number) as number }, runs: 2, baselineRuns: 2 },
  ]);
  expect(build).toMatchObject({ workload: 'nightly build', label: 'nightly build' });
  expect(build?.vsBaseline).toEqual([
    { backend: 'docker', baseline: 'none', ratio: { ratio: 1.2, error: expect.any(Number) as number }, runs: 2, baselineRuns: 1 },
  ]);
  expect(build?.backends.find((b) => b.backend === 'docker')).toMatchObject({ meanCommandMs: null, meanOverheadMs: null, timedRuns: 0 });
  // Filters: one workload, one backend, a time window.
  expect(reader.byWorkload({ workload: 'nightly build' }).map((w) => w.workload)).toEqual(['nightly build']);
  expect(reader.byWorkload({ backend: 'docker' }).map((w) => w.workload)).toEqual(['nightly build']);
  expect(reader.byWorkload({ since: 1_000_000 + 6000 }).map((w) => w.workload)).toEqual(['nightly build']);
  expect(() => reader.byWorkload({ workload: '' })).toThrow(/^Expected `workload` to be a non-empty string, got `""` \(string\)$/);
  reader.close();
}, 30_000);

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
