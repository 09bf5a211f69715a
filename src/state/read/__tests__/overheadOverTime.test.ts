import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { readOverheadOverTime } from '../overheadOverTime';
import { readDashboardSummary } from '../dashboardQueries';
import type { SandboxOutcome } from '../../../sandbox/types';
import { storeRuns } from '../../../../test/support/storeRuns';
import { tempDir } from '../../../../test/support/tempDir';

let dir: string;
let file: string;
beforeEach(() => {
  dir = tempDir('overhead-over-time');
  file = path.join(dir, 'state.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

type Run = [startTime: number, backend: string, durationMs: number, commandMs: number, outcome?: SandboxOutcome, canaryRound?: number];

/** Writes runs with exact times through the real writer (SqliteStore), one transaction. */
function write(runs: readonly Run[]): void {
  storeRuns(
    file,
    runs.map(([startTime, backend, durationMs, commandMs, outcome, canaryRound], i) => ({
      record: { sandboxId: `run-${i}`, startTime, durationMs, outcome: outcome ?? 'success', alertFired: false },
      details: {
        backend,
        workload: 'cmd-aaaaaaaaaaaa',
        workloadLabel: 'node -e 0',
        commandMs,
        timer: 'launcher',
        ...(canaryRound === undefined ? {} : { canaryRound }),
      },
    })),
  );
}

test('fixed cost: the nearest-rank median of the successful runs overhead per backend and bin', () => {
  write([
    // Bin 0 (0 … 60 s) on unshare: overheads 2, 9, 4 (+ a failed run of 500 left out) → median 4.
    [1_000, 'unshare', 12, 10],
    [2_000, 'unshare', 19, 10],
    [3_000, 'unshare', 14, 10],
    [4_000, 'unshare', 510, 10, 'error'],
    // Bin 1 (60 … 120 s): overheads 3 and 5 → nearest rank ceil(2/2) = 1st → 3.
    [61_000, 'unshare', 13, 10],
    [62_000, 'unshare', 15, 10],
    [1_500, 'none', 10.5, 10],
  ]);
  const db = new Database(file, { readonly: true });
  const result = readOverheadOverTime(db, 7, { binMs: 60_000 });
  expect(result.fixedCost).toEqual([
    { backend: 'none', points: [{ start: 0, medianMs: 0.5, runs: 1 }] },
    {
      backend: 'unshare',
      points: [
        { start: 0, medianMs: 4, runs: 3 },
        { start: 60_000, medianMs: 3, runs: 2 },
      ],
    },
  ]);
  expect(readOverheadOverTime(db, 7, { sinceMs: 60_000, binMs: 60_000 }).fixedCost).toEqual([
    { backend: 'unshare', points: [{ start: 60_000, medianMs: 3, runs: 2 }] },
  ]);
  expect(result.canary).toEqual([]);
  db.close();
});

test('canary: per round, the median command time on the backend over the one on none, paired by run order', () => {
  const round = 5_000_000;
  write([
    // Round 1, interleaved none, gvisor × 3; gvisor's second run failed: pairs are runs 1 and 3.
    [round + 0, 'none', 12, 10, 'success', round],
    [round + 20, 'gvisor', 40, 20, 'success', round],
    [round + 100, 'none', 13, 11, 'success', round],
    [round + 120, 'gvisor', 900, 10, 'timeout', round],
    [round + 200, 'none', 14, 12, 'success', round],
    [round + 220, 'gvisor', 50, 30, 'success', round],
    // Round 2: a single pair.
    [round + 60_000, 'none', 12, 10, 'success', round + 60_000],
    [round + 60_020, 'gvisor', 35, 15, 'success', round + 60_000],
    // Not a canary run: ignored by the canary series.
    [round + 70_000, 'gvisor', 35, 99],
  ]);
  const db = new Database(file, { readonly: true });
  const { canary } = readOverheadOverTime(db, 7, { binMs: 60_000 });
  // Round 1: gvisor [20, 30] → median 25 (mean of the middle two, stats/descriptive), none [10, 12] → 11.
  expect(canary).toEqual([
    {
      backend: 'gvisor',
      workload: 'cmd-aaaaaaaaaaaa',
      label: 'node -e 0',
      rounds: [
        { round, ratio: 25 / 11, pairs: 2, basis: 'command' },
        { round: round + 60_000, ratio: 1.5, pairs: 1, basis: 'command' },
      ],
    },
  ]);
  // Before schema 7 there is no canary column to read; the summary carries both parts.
  expect(readOverheadOverTime(db, 6, { binMs: 60_000 }).canary).toEqual([]);
  expect(readDashboardSummary(db).overheadOverTime.canary).toEqual(canary);
  db.close();
});
