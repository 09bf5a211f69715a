import { fork, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { countRows, until } from './faultKit';
import { tempDir } from '../../../test/support/tempDir';

/*
 * Durability when the process dies: a child records at a steady rate and reports its count to
 * us; we kill it and compare the rows in the file with the last count it reported.
 */

jest.setTimeout(30_000);

const CHILD = path.join(__dirname, 'fixtures', 'recordingChild.js');
const PER_TICK = 20;
const TICK_MS = 5;
const FLUSH_INTERVAL_MS = 50;
const PER_INTERVAL = (PER_TICK * FLUSH_INTERVAL_MS) / TICK_MS;

let dir: string;
beforeEach(() => {
  dir = tempDir('crash');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  last: { recorded: number; written: number };
  stderr: string[];
  exited: Promise<NodeJS.Signals | null>;
}

function startRecorder(file: string): Run {
  const child = fork(CHILD, [file, String(PER_TICK), String(TICK_MS), String(FLUSH_INTERVAL_MS)], {
    execArgv: [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const run: Run = {
    child,
    last: { recorded: 0, written: 0 },
    stderr: [],
    exited: new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal))),
  };
  child.on('message', (message) => {
    run.last = message as Run['last'];
  });
  child.stderr?.on('data', (chunk: Buffer) => run.stderr.push(chunk.toString()));
  return run;
}

/** Past start-up (the writer thread is up and writing), then a second of steady recording. */
async function steady(run: Run): Promise<void> {
  await until(() => run.last.written > 0 || run.child.exitCode !== null);
  expect(run.stderr.join('')).toBe('');
  const from = run.last.recorded;
  await until(() => run.last.recorded >= from + 200 * PER_TICK);
}

test('SIGKILL loses at most one flush interval plus the batch in flight', async () => {
  const file = path.join(dir, 'state.db');
  const run = startRecorder(file);
  await steady(run);
  run.child.kill('SIGKILL');
  expect(await run.exited).toBe('SIGKILL');
  const reported = run.last.recorded;
  const rows = countRows(file);
  const lost = reported - rows;
  // One interval still queued, one in flight; each holds the runs of about one interval.
  expect(lost).toBeLessThanOrEqual(2 * PER_INTERVAL);
  expect(rows).toBeGreaterThan(0);
});

test('SIGTERM loses nothing: the exit hooks write every queued row before the process ends', async () => {
  const file = path.join(dir, 'state.db');
  const run = startRecorder(file);
  await steady(run);
  run.child.kill('SIGTERM');
  expect(await run.exited).toBe('SIGTERM');
  const reported = run.last.recorded;
  const rows = countRows(file);
  expect(rows).toBeGreaterThanOrEqual(reported);
  // Runs recorded after the last report (while the queue was being written) are there too.
  expect(rows - reported).toBeLessThanOrEqual(PER_TICK * 50);
  expect(run.stderr.join('')).toBe('');
});

test('SIGTERM while another process holds the history past the drain timeout: the last write still waits for the lock', async () => {
  const file = path.join(dir, 'state.db');
  const child = fork(path.join(__dirname, 'fixtures', 'queuedChild.js'), [file, '5'], {
    execArgv: [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await new Promise((resolve) => child.once('message', resolve));
  // A backup or a long report holds the write lock 6.5 s: longer than the exit hooks' drain (5 s),
  // shorter than the drain plus a write's busy timeout (5 s). Before: the hooks re-raised the
  // signal when the drain gave up and the 5 queued rows were lost.
  const locker = new Database(file);
  locker.exec('BEGIN EXCLUSIVE');
  const released = new Promise<void>((resolve) =>
    setTimeout(() => {
      locker.exec('COMMIT');
      locker.close();
      resolve();
    }, 6500),
  );
  child.kill('SIGTERM');
  expect(await exited).toBe('SIGTERM');
  await released;
  expect(countRows(file)).toBe(5);
});
