import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StateDatabase } from '../StateDatabase';
import { SCHEMA_VERSION } from '../schema';
import { APPLICATION_ID } from '../ownership';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { captureLog, countRows, linesAbout, recordRuns, until, untilFailing } from './faultKit';
import { tempDir } from '../../../test/support/tempDir';

/*
 * Damaged files, made for real: a sandbox-perf database with pages overwritten (moved aside, a
 * fresh database takes the rows) and a file from a newer schema (left byte-identical). Files that
 * are not ours, garbage bytes included, are never moved: ownership.test.ts.
 */

jest.setTimeout(30_000);

let dir: string;
let logs: ReturnType<typeof captureLog>;
beforeEach(() => {
  dir = tempDir('corrupt');
  logs = captureLog();
});
afterEach(() => {
  logs.restore();
  fs.rmSync(dir, { recursive: true, force: true });
});

const options = { handleExit: false, retryBaseMs: 20, retryMaxMs: 200 } as const;

function asideFiles(file: string): string[] {
  const base = path.basename(file);
  return fs
    .readdirSync(path.dirname(file))
    .filter((name) => name.startsWith(`${base}.corrupt-`) && !name.endsWith('-wal') && !name.endsWith('-journal'));
}

/** Deterministic noise: never a valid SQLite header or page. */
function garbage(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let x = 0x2545f491;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

test('damaged pages (SQLITE_CORRUPT): the write fails in the writer thread, the file is moved aside, the rows land in a fresh one', async () => {
  const file = path.join(dir, 'state.db');
  const seed = new StateDatabase({ path: file, handleExit: false });
  for (let i = 0; i < 5000; i++) {
    // Spread keys so that the damage below sits inside every b-tree.
    seed.insert('sandbox_perf_records', {
      sandboxId: `seed-${i}`,
      startTime: 1_700_000_000_000 + ((i * 7919) % 5000) * 1000,
      durationMs: ((i * 104729) % 10_000) / 7,
      outcome: 'success',
      alertFired: false,
    });
  }
  await seed.close();
  const pages = fs.statSync(file).size / 4096;
  expect(pages).toBeGreaterThan(20);
  const fd = fs.openSync(file, 'r+');
  // Page 1 (header and schema) stays valid, so the file opens and the damage shows on INSERT.
  fs.writeSync(fd, garbage((pages - 2) * 4096), 0, (pages - 2) * 4096, 4096);
  fs.closeSync(fd);

  const db = new StateDatabase({ path: file, ...options });
  const monitor = new SandboxPerfMonitor({ sink: db });
  let turns = 0;
  const spin = setInterval(() => turns++, 1);
  expect(() => recordRuns(monitor, 200, 'dmg')).not.toThrow();
  await db.flush();
  clearInterval(spin);
  // The damage is met in the writer thread: the caller's loop went on turning meanwhile.
  expect(turns).toBeGreaterThan(0);
  expect(countRows(file)).toBe(200);
  expect(asideFiles(file)).toHaveLength(1);
  expect(linesAbout(logs.lines, file, 'SQLITE_CORRUPT')).toHaveLength(1);
  expect(db.health()).toMatchObject({ queued: 0, written: 200, dropped: 0 });
  expect(monitor.getReport()).toMatchObject({ count: 200, persistErrors: 0 });
  await db.close();
});

test('schema too new: a clear error in health and the log, the file left byte-identical', async () => {
  const file = path.join(dir, 'future.db');
  const future = new Database(file);
  future.pragma(`application_id = ${APPLICATION_ID}`);
  future.exec('CREATE TABLE sandbox_perf_records (id INTEGER PRIMARY KEY, from_the_future BLOB)');
  future.pragma(`user_version = ${SCHEMA_VERSION + 7}`);
  future.close();
  const before = fs.readFileSync(file);
  const filesBefore = fs.readdirSync(dir).sort();

  const db = new StateDatabase({ path: file, ...options });
  const monitor = new SandboxPerfMonitor({ sink: db });
  expect(() => recordRuns(monitor, 30, 'new')).not.toThrow();
  await untilFailing(db);
  await until(() => db.health().failedWrites >= 3);
  const { lastError } = db.health();
  expect(lastError?.code).toBe('SANDBOX_PERF_SCHEMA_TOO_NEW');
  expect(lastError?.message).toContain(
    `has schema version ${SCHEMA_VERSION + 7}, newer than this sandbox-perf understands (${SCHEMA_VERSION})`,
  );
  expect(lastError?.message).toMatch(/left untouched/);
  expect(db.health()).toMatchObject({ queued: 30, written: 0, dropped: 0 });
  expect(linesAbout(logs.lines, file, 'SANDBOX_PERF_SCHEMA_TOO_NEW')).toHaveLength(1);
  await db.close({ timeoutMs: 50 });
  expect(logs.lines.at(-1)).toMatch(
    /30 rows lost: closed .*future\.db with rows that could not be written \(SANDBOX_PERF_SCHEMA_TOO_NEW\)/,
  );
  expect(fs.readFileSync(file).equals(before)).toBe(true);
  expect(fs.readdirSync(dir).sort()).toEqual(filesBefore);
  expect(monitor.getReport()).toMatchObject({ count: 30, persistErrors: 0 });
});
