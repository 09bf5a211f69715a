import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { StateDatabase } from '../StateDatabase';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { captureLog, countRows, linesAbout, recordRuns, sandboxIds, untilFailing } from './faultKit';
import { tempDir } from '../../../test/support/tempDir';

/*
 * Another connection holding the write lock (BEGIN IMMEDIATE): SQLITE_BUSY, the maxQueue bound,
 * and the promise that a locked database never stalls the caller's event loop.
 */

jest.setTimeout(30_000);

let dir: string;
let file: string;
let logs: ReturnType<typeof captureLog>;
beforeEach(() => {
  dir = tempDir('lock');
  file = path.join(dir, 'state.db');
  logs = captureLog();
});
afterEach(() => {
  logs.restore();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A database with the schema and a few rows, the writer thread started and idle. */
async function warmDatabase(
  options: ConstructorParameters<typeof StateDatabase>[0],
): Promise<{ db: StateDatabase; monitor: SandboxPerfMonitor }> {
  const db = new StateDatabase({ path: file, handleExit: false, ...options });
  const monitor = new SandboxPerfMonitor({ sink: db, alertThresholdMs: 60_000 });
  recordRuns(monitor, 10, 'warm');
  await db.flush();
  return { db, monitor };
}

function holdWriteLock(): Database.Database {
  const other = new Database(file);
  other.exec('BEGIN IMMEDIATE');
  return other;
}

test('SQLITE_BUSY (a second connection holds BEGIN IMMEDIATE): rows wait, then are all written', async () => {
  const { db, monitor } = await warmDatabase({ busyTimeoutMs: 30, retryBaseMs: 20, retryMaxMs: 100 });
  const other = holdWriteLock();
  expect(() => recordRuns(monitor, 400, 'busy')).not.toThrow();
  await untilFailing(db);
  expect(db.health()).toMatchObject({ queued: 400, written: 10, dropped: 0, state: 'retrying' });
  expect(db.health().lastError).toMatchObject({ code: 'SQLITE_BUSY', message: expect.stringMatching(/locked/) as string });
  expect(monitor.getReport()).toMatchObject({ count: 410, persistErrors: 0 });
  other.exec('COMMIT');
  other.close();
  await db.flush();
  expect(countRows(file)).toBe(410);
  expect(db.health()).toMatchObject({ queued: 0, written: 410, dropped: 0, state: 'idle' });
  expect(linesAbout(logs.lines, file, 'SQLITE_BUSY')).toHaveLength(1);
  await db.close();
});

test('maxQueue: past the bound the oldest rows are dropped and counted; the newest are written', async () => {
  const { db, monitor } = await warmDatabase({ busyTimeoutMs: 30, retryBaseMs: 20, retryMaxMs: 100, maxQueue: 100, batchSize: 40 });
  const other = holdWriteLock();
  recordRuns(monitor, 250, 'q');
  await untilFailing(db);
  expect(db.health()).toMatchObject({ queued: 100, written: 10, dropped: 150 });
  expect(logs.lines.filter((l) => l.includes('passed maxQueue (100)') && l.includes(file))).toHaveLength(1);
  other.exec('COMMIT');
  other.close();
  await db.flush();
  expect(db.health()).toMatchObject({ queued: 0, written: 110, dropped: 150 });
  const ids = sandboxIds(file);
  expect(ids).toHaveLength(110);
  expect(ids.slice(10)).toEqual(Array.from({ length: 100 }, (_, i) => `q-${150 + i}`));
  expect(monitor.getReport().count).toBe(260);
  await db.close();
});

/** What the caller's event loop saw during one 2 s hold of the write lock. */
interface StallWindow {
  maxMs: number;
  p99Ms: number;
  /** Garbage-collection pauses over 2 ms in that window: the usual reason for an outlier here. */
  gcPausesMs: number[];
}

/**
 * Holds the write lock from another connection for 2 s while the caller records 50 runs every
 * 5 ms, then releases it and waits until every row is written. Returns the loop delay it saw.
 */
async function stallWindow(db: StateDatabase, monitor: SandboxPerfMonitor, tag: string): Promise<StallWindow> {
  const writtenBefore = db.health().written;
  const other = holdWriteLock();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const gcPausesMs: number[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.duration > 2) gcPausesMs.push(Math.round(entry.duration * 10) / 10);
  });
  gc.observe({ entryTypes: ['gc'] });
  delay.enable();
  let ticks = 0;
  const tick = setInterval(() => recordRuns(monitor, 50, `${tag}-${ticks++}`), 5);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  // The writer thread sat in SQLite's busy wait all along; the loop never did.
  expect(db.health().written).toBe(writtenBefore);
  other.exec('COMMIT');
  other.close();
  clearInterval(tick);
  delay.disable();
  gc.disconnect();
  await db.flush();
  expect(db.health()).toMatchObject({ queued: 0, written: writtenBefore + ticks * 50, dropped: 0 });
  return { maxMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6, gcPausesMs };
}

/*
 * A caller blocked by the lock would see a delay of the lock's whole length (2 s). The test asserts
 * that separation only (under 200 ms, in the best of up to three windows: a window can catch a pause
 * that is not ours, a collection of the Jest worker's heap or another process's time slice). The
 * persistence issue's 20 ms is a speed: `npm run bench` gates it (bench/lockStall.ts), since a
 * wall-clock bound that tight fails on a loaded machine.
 */
test("event-loop stall: while another connection holds the write lock for 2 s, the caller's loop is never blocked by it", async () => {
  const { db, monitor } = await warmDatabase({});
  const windows: StallWindow[] = [];
  do windows.push(await stallWindow(db, monitor, `t${windows.length}`));
  while (windows.length < 3 && windows.every((w) => w.maxMs >= 200));
  const best = Math.min(...windows.map((w) => w.maxMs));
  if (best >= 200) throw new Error(`max loop delay of 200 ms or more in all 3 windows: ${JSON.stringify(windows)}`);
  expect(countRows(file)).toBe(db.health().written);
  await db.close();
});
