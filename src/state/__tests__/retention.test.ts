import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StateDatabase } from '../StateDatabase';
import { countRows, sandboxIds, until } from './faultKit';
import { tempDir } from '../../../test/support/tempDir';

/* Retention is applied by the writer thread, on a timer, while rows keep being written. */

jest.setTimeout(30_000);

let dir: string;
let file: string;
beforeEach(() => {
  dir = tempDir('retention');
  file = path.join(dir, 'state.db');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const DAY = 86_400_000;

function insertRuns(db: StateDatabase, n: number, tag: string, startTime: number): void {
  for (let i = 0; i < n; i++) {
    db.insert(
      'sandbox_perf_records',
      { sandboxId: `${tag}-${i}`, startTime, durationMs: 1 + i, outcome: 'success', alertFired: false },
      { backend: 'none', phases: { run: 1 } },
    );
  }
}

function detailRows(): number {
  const db = new Database(file, { readonly: true });
  try {
    const q = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    return q('SELECT count(*) AS n FROM sandbox_run_details') + q('SELECT count(*) AS n FROM sandbox_run_phases');
  } finally {
    db.close();
  }
}

test('maxRows keeps the newest N runs (and their details), pruned in the background', async () => {
  const db = new StateDatabase({ path: file, handleExit: false, retention: { maxRows: 50 }, pruneIntervalMs: 20 });
  insertRuns(db, 200, 'r', Date.now());
  await db.flush();
  await until(() => db.health().pruned >= 150);
  expect(countRows(file)).toBe(50);
  expect(sandboxIds(file)).toEqual(Array.from({ length: 50 }, (_, i) => `r-${150 + i}`));
  expect(detailRows()).toBe(100);
  expect(db.health()).toMatchObject({ written: 200, pruned: 150, dropped: 0 });
  await db.close();
});

test('maxAgeDays removes runs that started longer ago, keeps the recent ones', async () => {
  const db = new StateDatabase({ path: file, handleExit: false, retention: { maxAgeDays: 7 }, pruneIntervalMs: 20 });
  insertRuns(db, 30, 'old', Date.now() - 10 * DAY);
  insertRuns(db, 20, 'new', Date.now() - 6 * DAY);
  await db.flush();
  await until(() => db.health().pruned >= 30);
  expect(countRows(file)).toBe(20);
  expect(sandboxIds(file).every((id) => id.startsWith('new-'))).toBe(true);
  expect(detailRows()).toBe(40);
  await db.close();
});
