import fs from 'node:fs';
import path from 'node:path';
import { StateDatabase } from '../StateDatabase';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { captureLog, countRows, linesAbout, recordRuns, skipNote, tryMount, unmount, untilFailing } from './faultKit';
import { tempDir } from '../../../test/support/tempDir';

/*
 * Faults of the file system, injected for real: a read-only mount, a folder that vanishes or is
 * blocked, a file deleted while open, a full disk. Each: nothing thrown at the caller, the
 * monitor's report right, the rows written once the fault clears, the fault logged once.
 */

jest.setTimeout(30_000);

let dir: string;
let logs: ReturnType<typeof captureLog>;
beforeEach(() => {
  dir = tempDir('fs');
  logs = captureLog();
});
afterEach(() => {
  logs.restore();
  fs.rmSync(dir, { recursive: true, force: true });
});

const fastRetry = { handleExit: false, retryBaseMs: 20, retryMaxMs: 200 } as const;

function monitorOn(db: StateDatabase): SandboxPerfMonitor {
  return new SandboxPerfMonitor({ sink: db, alertThresholdMs: 60_000 });
}

async function seed(file: string, rows: number): Promise<void> {
  const db = new StateDatabase({ path: file, handleExit: false });
  recordRuns(monitorOn(db), rows, 'seed');
  await db.close();
}

test('read-only folder (read-only bind mount): rows wait in memory and are written after remount', async () => {
  const folder = path.join(dir, 'ro');
  const file = path.join(folder, 'state.db');
  await seed(file, 10);
  const mounted = tryMount(['--bind', folder, folder]);
  if (!mounted.ok) {
    skipNote('read-only folder', mounted.reason);
    return;
  }
  let readOnly = false;
  try {
    const remount = tryMount(['-o', 'remount,ro,bind', folder]);
    if (!remount.ok) {
      skipNote('read-only folder', remount.reason);
      return;
    }
    readOnly = true;
    const db = new StateDatabase({ path: file, ...fastRetry });
    const monitor = monitorOn(db);
    expect(() => recordRuns(monitor, 300, 'ro')).not.toThrow();
    await untilFailing(db);
    const code = db.health().lastError?.code as string;
    expect(code).toMatch(/^SQLITE_(READONLY|CANTOPEN)/);
    expect(db.health()).toMatchObject({ queued: 300, written: 0, dropped: 0 });
    expect(monitor.getReport()).toMatchObject({ count: 300, persistErrors: 0 });
    unmount(folder);
    readOnly = false;
    await db.flush();
    expect(db.health()).toMatchObject({ queued: 0, written: 300, dropped: 0 });
    expect(countRows(file)).toBe(310);
    expect(linesAbout(logs.lines, file, code)).toHaveLength(1);
    expect(logs.lines.filter((l) => l.includes('writable again'))).toHaveLength(1);
    await db.close();
  } finally {
    if (readOnly) unmount(folder);
  }
});

test('missing folder: created on first write, and recreated when deleted while open', async () => {
  const file = path.join(dir, 'a', 'b', 'state.db');
  const db = new StateDatabase({ path: file, ...fastRetry });
  const monitor = monitorOn(db);
  recordRuns(monitor, 50, 'first');
  await db.flush();
  expect(countRows(file)).toBe(50);

  fs.rmSync(path.join(dir, 'a'), { recursive: true });
  recordRuns(monitor, 70, 'second');
  await db.flush();
  // The first 50 went with the folder; everything recorded since is in the recreated file.
  expect(countRows(file)).toBe(70);
  expect(db.health()).toMatchObject({ queued: 0, written: 120, dropped: 0, lastError: null });
  expect(linesAbout(logs.lines, file, 'SANDBOX_PERF_DB_MOVED')).toHaveLength(1);
  expect(monitor.getReport().count).toBe(120);
  await db.close();
});

test('folder blocked by a file of the same name: rows wait until it is removed', async () => {
  const folder = path.join(dir, 'blocked');
  const file = path.join(folder, 'state.db');
  fs.writeFileSync(folder, 'not a folder');
  const db = new StateDatabase({ path: file, ...fastRetry });
  const monitor = monitorOn(db);
  expect(() => recordRuns(monitor, 200, 'blocked')).not.toThrow();
  await untilFailing(db);
  const code = db.health().lastError?.code as string;
  // Refused by the ownership check before anything is created (a path under a plain file).
  expect(code).toBe('SANDBOX_PERF_NOT_OURS');
  expect(db.health()).toMatchObject({ queued: 200, written: 0, dropped: 0 });
  fs.rmSync(folder);
  await db.flush();
  expect(countRows(file)).toBe(200);
  expect(linesAbout(logs.lines, file, code)).toHaveLength(1);
  expect(monitor.getReport()).toMatchObject({ count: 200, persistErrors: 0 });
  await db.close();
});

test('file deleted while open: reopened, and every row recorded after the deletion is in the new file', async () => {
  const file = path.join(dir, 'state.db');
  const db = new StateDatabase({ path: file, ...fastRetry });
  const monitor = monitorOn(db);
  recordRuns(monitor, 40, 'before');
  await db.flush();
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  recordRuns(monitor, 60, 'after');
  await db.flush();
  recordRuns(monitor, 5, 'later');
  await db.flush();
  expect(countRows(file)).toBe(65);
  expect(db.health()).toMatchObject({ queued: 0, written: 105, dropped: 0 });
  expect(linesAbout(logs.lines, file, 'SANDBOX_PERF_DB_MOVED')).toHaveLength(1);
  expect(monitor.getReport().count).toBe(105);
  await db.close();
});

test('disk full (tiny tmpfs): SQLITE_FULL, rows kept, written once space is freed', async () => {
  const mountPoint = path.join(dir, 'tiny');
  fs.mkdirSync(mountPoint);
  const mounted = tryMount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
  if (!mounted.ok) {
    skipNote('disk full', mounted.reason);
    return;
  }
  try {
    const file = path.join(mountPoint, 'state.db');
    const db = new StateDatabase({ path: file, ...fastRetry });
    const monitor = monitorOn(db);
    recordRuns(monitor, 20, 'fits');
    await db.flush();
    const filler = path.join(mountPoint, 'filler');
    const block = Buffer.alloc(4096, 1);
    try {
      for (;;) fs.appendFileSync(filler, block);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    expect(() => recordRuns(monitor, 2000, 'full')).not.toThrow();
    await untilFailing(db);
    expect(db.health().lastError?.code).toMatch(/^SQLITE_(FULL|IOERR)/);
    expect(db.health()).toMatchObject({ queued: 2000, written: 20, dropped: 0 });
    fs.rmSync(filler);
    await db.flush();
    expect(db.health()).toMatchObject({ queued: 0, written: 2020, dropped: 0 });
    await db.close();
    expect(countRows(file)).toBe(2020);
    expect(linesAbout(logs.lines, file, 'SQLITE_FULL')).toHaveLength(1);
    expect(monitor.getReport()).toMatchObject({ count: 2020, persistErrors: 0 });
  } finally {
    unmount(mountPoint);
  }
});
