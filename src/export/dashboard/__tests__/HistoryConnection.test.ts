import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { fixtureRuns, writeCurrent } from '../../../../test/support/historyFixture';
import { HistoryConnection } from '../HistoryConnection';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-connection-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a history that is not there yet reads as not there, then as open once a real history appears', async () => {
  const file = path.join(dir, 'state.db');
  const history = new HistoryConnection(file);
  expect(history.get()).toMatchObject({
    ok: false,
    code: 'ENOENT',
    message: expect.stringContaining(`No history at ${file} yet`) as string,
  });
  fs.writeFileSync(file, '');
  expect(history.get()).toMatchObject({ ok: false, code: 'ENOENT' });
  await writeCurrent(file, fixtureRuns(3));
  const state = history.get();
  expect(state.ok).toBe(true);
  if (state.ok) expect(state.db.prepare('SELECT COUNT(*) AS n FROM sandbox_perf_records').get()).toEqual({ n: 3 });
  history.close();
});

test('a file that is not a history is never opened, and stays as it was', () => {
  const notes = path.join(dir, 'notes.txt');
  fs.writeFileSync(notes, 'my notes\n');
  const state = new HistoryConnection(notes).get();
  expect(state).toMatchObject({ ok: false, message: expect.stringMatching(/^Cannot open .*notes\.txt read-only/) as string });
  expect(fs.readFileSync(notes, 'utf8')).toBe('my notes\n');
  expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
});

test('a FIFO in place of the history does not block the server: an error at once', () => {
  const fifo = path.join(dir, 'state.db');
  execFileSync('mkfifo', [fifo]);
  const t0 = performance.now();
  expect(new HistoryConnection(fifo).get()).toMatchObject({ ok: false });
  expect(performance.now() - t0).toBeLessThan(5000);
});

test('a history from a newer sandbox-perf is an error the page shows, not a query failure', async () => {
  const file = path.join(dir, 'state.db');
  await writeCurrent(file, fixtureRuns(2));
  const db = new Database(file);
  db.pragma('user_version = 999');
  db.close();
  expect(new HistoryConnection(file).get()).toMatchObject({ ok: false, message: expect.stringContaining('999') as string });
});
