import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StateDatabase, type SettleReport, type PersistenceHealth } from '../StateDatabase';
import { captureLog, countRows, skipNote, tryMount, unmount } from './faultKit';
import { tempDir } from '../../../test/support/tempDir';

/*
 * Issue 13, "Success reported for failure": close() and flush() never settled under a persistent
 * fault (their timer was unref'd), so a library process ended with the await pending and exit code
 * 0. Now they settle by timeoutMs, in a real child process where nothing else keeps the loop alive,
 * and say how many rows were lost and where.
 */

jest.setTimeout(60_000);

const CHILD = path.join(__dirname, 'fixtures', 'settlingChild.js');

let dir: string;
beforeEach(() => {
  dir = tempDir('settle');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

interface ChildResult {
  code: number | null;
  out: { elapsedMs: number; report: SettleReport; health: PersistenceHealth } | undefined;
  stderr: string;
}

function runChild(file: string, runs: number, timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CHILD, file, String(runs), String(timeoutMs)], { timeout: 30_000 }, (_e, stdout, stderr) => {
      resolve({ code: child.exitCode, out: stdout.trim() ? (JSON.parse(stdout) as ChildResult['out']) : undefined, stderr });
    });
  });
}

async function seed(file: string): Promise<void> {
  const db = new StateDatabase({ path: file, handleExit: false });
  db.insert('sandbox_perf_records', {
    sandboxId: 'seed',
    startTime: 1_700_000_000_000,
    durationMs: 1,
    outcome: 'success',
    alertFired: false,
  });
  await db.close();
}

test('await db.close({ timeoutMs: 2000 }) returns under a read-only bind mount, reporting the rows lost and the path', async () => {
  const folder = path.join(dir, 'ro');
  fs.mkdirSync(folder);
  const file = path.join(folder, 'state.db');
  await seed(file);
  const bound = tryMount(['--bind', folder, folder]);
  if (!bound.ok) {
    skipNote('close() on a read-only mount', bound.reason);
    return;
  }
  try {
    const ro = tryMount(['-o', 'remount,ro,bind', folder]);
    if (!ro.ok) {
      skipNote('close() on a read-only mount', ro.reason);
      return;
    }
    const child = await runChild(file, 25, 2000);
    expect(child.code).toBe(0);
    expect(child.out?.report).toMatchObject({ path: file, complete: false, pending: 0, lost: 25 });
    expect(child.out?.report.lastError?.code).toMatch(/^SQLITE_(READONLY|CANTOPEN|IOERR)/);
    expect(child.out?.health).toMatchObject({ abandoned: 25, lost: 25, written: 0, state: 'closed' });
    expect(child.out?.elapsedMs).toBeGreaterThanOrEqual(1900);
    expect(child.out?.elapsedMs).toBeLessThan(10_000);
    expect(child.stderr).toContain(`25 rows lost: closed ${file}`);
  } finally {
    unmount(folder);
  }
  expect(countRows(file)).toBe(1);
});

test('await db.close({ timeoutMs: 2000 }) returns for a path under a plain file (refused: SANDBOX_PERF_NOT_OURS)', async () => {
  fs.writeFileSync(path.join(dir, 'plain'), 'x');
  const file = path.join(dir, 'plain', 'state.db');
  const child = await runChild(file, 10, 2000);
  expect(child.code).toBe(0);
  expect(child.out?.report).toMatchObject({ complete: false, lost: 10, lastError: { code: 'SANDBOX_PERF_NOT_OURS' } });
  expect(child.out?.elapsedMs).toBeLessThan(10_000);
  expect(fs.readFileSync(path.join(dir, 'plain'), 'utf8')).toBe('x');
});

test('a writable database: close() resolves complete with nothing lost', async () => {
  const file = path.join(dir, 'ok.db');
  const child = await runChild(file, 40, 20_000);
  expect(child.code).toBe(0);
  expect(child.out?.report).toEqual({ path: file, complete: true, pending: 0, lost: 0, lastError: null });
  expect(countRows(file)).toBe(40);
});

test('flush({ timeoutMs }) under a persistent fault resolves complete: false with the rows still pending; bad timeouts are TypeErrors', async () => {
  const logs = captureLog();
  try {
    fs.writeFileSync(path.join(dir, 'plain'), 'x');
    const db = new StateDatabase({ path: path.join(dir, 'plain', 'x.db'), handleExit: false });
    for (let i = 0; i < 3; i++) {
      db.insert('sandbox_perf_records', {
        sandboxId: `f-${i}`,
        startTime: 1_700_000_000_000,
        durationMs: 1,
        outcome: 'success',
        alertFired: false,
      });
    }
    const report = await db.flush({ timeoutMs: 100 });
    expect(report).toMatchObject({ complete: false, pending: 3, lost: 0 });
    expect(() => db.flush({ timeoutMs: -1 })).toThrow(
      /^Expected `timeoutMs` to be a finite number >= 0 and <= 2147483647, got `-1` \(number\)$/,
    );
    expect(() => db.flush({ timeout: 5 } as never)).toThrow(
      /^Expected `options` to be an object with only the keys `timeoutMs`, got `"timeout"` \(string\): did you mean `timeoutMs`\?$/,
    );
    expect(await db.close({ timeoutMs: 100 })).toMatchObject({ complete: false, pending: 0, lost: 3 });
  } finally {
    logs.restore();
  }
});
