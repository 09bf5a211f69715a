import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StateDatabase, defaultDbPath, resolveDbPath } from '../StateDatabase';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { SCHEMA_VERSION } from '../schema';
import type { SandboxPerfRecord } from '../../sandbox/types';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-db-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function readRows(file: string): Record<string, unknown>[] {
  const reader = new Database(file, { readonly: true });
  try {
    return reader.prepare('SELECT * FROM sandbox_perf_records ORDER BY id').all() as Record<string, unknown>[];
  } finally {
    reader.close();
  }
}

test('writes records through a real file that a second connection reads back', async () => {
  const file = path.join(dir, 'nested', 'state.db');
  const db = new StateDatabase({ path: file, handleExit: false });
  const monitor = new SandboxPerfMonitor({ sink: db, alertThresholdMs: 1000 });
  const records: SandboxPerfRecord[] = [];
  for (const [id, outcome] of [
    ['sb-a', 'success'],
    ['sb-b', 'timeout'],
    ['sb-c', 'error'],
  ] as const) {
    monitor.start(id);
    records.push(monitor.stop(id, { outcome }));
  }
  await db.flush();
  const rows = readRows(file);
  expect(rows).toHaveLength(3);
  rows.forEach((row, i) => {
    const record = records[i] as SandboxPerfRecord;
    expect(row).toEqual({
      id: i + 1,
      sandbox_id: record.sandboxId,
      start_time: record.startTime,
      duration_ms: record.durationMs,
      outcome: record.outcome,
      alert_fired: 0,
      created_at: new Date(record.startTime + record.durationMs).toISOString(),
    });
    expect(row.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
  expect(db.health()).toMatchObject({ queued: 0, written: 3, dropped: 0, failedWrites: 0, lastError: null });
  await db.close();
  const check = new Database(file, { readonly: true });
  expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  expect(check.pragma('journal_mode', { simple: true })).toBe('wal');
  check.close();
});

test('details land in sandbox_run_details and sandbox_run_phases', async () => {
  const file = path.join(dir, 'state.db');
  const db = new StateDatabase({ path: file, handleExit: false });
  const monitor = new SandboxPerfMonitor({ sink: db });
  monitor.start('x');
  monitor.stop('x', {
    outcome: 'error',
    details: {
      backend: 'docker',
      phases: { create: 80, start: 600 },
      exitCode: 3,
      signal: null,
      cpuMs: 12.5,
      peakMemoryBytes: 1024,
      error: 'boom',
    },
  });
  await db.close();
  const reader = new Database(file, { readonly: true });
  const run = reader.prepare('SELECT start_time, duration_ms, alert_fired FROM sandbox_perf_records').get() as Record<string, number>;
  // start_time, duration_ms, alert_fired (and backend in the phases) are copies of the run's (migration 4);
  // fingerprint_id is the writer's machine state, the one row of sandbox_fingerprints (migration 6).
  expect(reader.prepare('SELECT * FROM sandbox_run_details').all()).toEqual([
    {
      record_id: 1,
      backend: 'docker',
      exit_code: 3,
      signal: null,
      cpu_ms: 12.5,
      peak_memory_bytes: 1024,
      error: 'boom',
      ...run,
      fingerprint_id: 1,
    },
  ]);
  expect(reader.prepare('SELECT * FROM sandbox_run_phases ORDER BY phase').all()).toEqual([
    { record_id: 1, phase: 'create', duration_ms: 80, backend: 'docker', start_time: run.start_time },
    { record_id: 1, phase: 'start', duration_ms: 600, backend: 'docker', start_time: run.start_time },
  ]);
  reader.close();
});

test('batches by size: 2 500 rows arrive in full', async () => {
  const file = path.join(dir, 'state.db');
  const db = new StateDatabase({ path: file, handleExit: false, batchSize: 1000 });
  const monitor = new SandboxPerfMonitor({ sink: db });
  for (let i = 0; i < 2500; i++) {
    monitor.start(`r${i}`);
    monitor.stop(`r${i}`, { outcome: 'success' });
  }
  await db.close();
  expect(readRows(file)).toHaveLength(2500);
});

test('the path comes from the option, else SANDBOX_PERF_DB (empty = unset), else the per-directory default outside the working directory', () => {
  const cwd = path.join(dir, 'project');
  const env = { HOME: '/home/u' };
  const fallback = defaultDbPath(env, cwd);
  expect(fallback).toMatch(/^\/home\/u\/\.local\/state\/sandbox-perf\/project-[0-9a-f]{12}\/state\.db$/);
  expect(defaultDbPath({ ...env, XDG_STATE_HOME: '/var/state' }, cwd)).toBe(fallback.replace('/home/u/.local/state', '/var/state'));
  // A relative XDG_STATE_HOME is invalid by the XDG spec: ignored.
  expect(defaultDbPath({ ...env, XDG_STATE_HOME: 'rel' }, cwd)).toBe(fallback);
  // Issue 12: never inside the working directory the sandboxes bind writable.
  expect(fallback.startsWith(`${cwd}/`)).toBe(false);
  expect(defaultDbPath(env, path.join(dir, 'other'))).not.toBe(fallback);
  expect(resolveDbPath(undefined, env, cwd)).toBe(fallback);
  expect(resolveDbPath(undefined, { ...env, SANDBOX_PERF_DB: '' }, cwd)).toBe(fallback);
  expect(resolveDbPath(undefined, { ...env, SANDBOX_PERF_DB: 'env.db' }, cwd)).toBe(path.join(cwd, 'env.db'));
  expect(resolveDbPath('rel/x.db', { ...env, SANDBOX_PERF_DB: 'env.db' }, cwd)).toBe(path.join(cwd, 'rel/x.db'));
  expect(() => resolveDbPath('')).toThrow(/^Expected `path` to be a non-empty file path, got `""` \(string\)$/);
});

test('bad options and tables are rejected with the one message shape', () => {
  expect(() => new StateDatabase({ batchSize: 0 })).toThrow(/^Expected `batchSize` to be a finite integer >= 1/);
  expect(() => new StateDatabase({ maxQueue: -5 })).toThrow(/`maxQueue`/);
  expect(() => new StateDatabase({ handleExit: 'yes' as unknown as boolean })).toThrow(/`handleExit` to be a boolean/);
  expect(() => new StateDatabase({ retention: { maxRows: 1.5 } })).toThrow(/`retention.maxRows`/);
  const db = new StateDatabase({ path: path.join(dir, 'x.db'), handleExit: false });
  expect(() => db.insert('other' as 'sandbox_perf_records', {} as SandboxPerfRecord)).toThrow(
    /Expected `table` to be 'sandbox_perf_records'/,
  );
});

describe('open()', () => {
  test('starts the writer and creates the migrated file before any record', async () => {
    const file = path.join(dir, 'early', 'state.db');
    const db = new StateDatabase({ path: file, handleExit: false });
    expect(fs.existsSync(file)).toBe(false);
    await db.open();
    const check = new Database(file, { readonly: true });
    try {
      expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(check.prepare('SELECT count(*) AS n FROM sandbox_perf_records').get()).toEqual({ n: 0 });
    } finally {
      check.close();
    }
    await db.open();
    db.insert('sandbox_perf_records', {
      sandboxId: 'after-open',
      startTime: Date.now(),
      durationMs: 3,
      outcome: 'success',
      alertFired: false,
    });
    await db.close();
    expect(readRows(file).map((row) => row.sandbox_id)).toEqual(['after-open']);
    await expect(db.open()).rejects.toThrow(/is closed/);
  });

  test('resolves when the file cannot be opened; the first write reports it and the row stays queued', async () => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, 'not a folder');
    const db = new StateDatabase({ path: path.join(blocker, 'state.db'), handleExit: false, retryBaseMs: 50 });
    await db.open();
    db.insert('sandbox_perf_records', { sandboxId: 'kept', startTime: Date.now(), durationMs: 1, outcome: 'success', alertFired: false });
    await db.flush({ timeoutMs: 300 });
    expect(db.health()).toMatchObject({ queued: 1, written: 0 });
    expect(db.health().lastError).not.toBeNull();
    await db.close({ timeoutMs: 100 });
  });
});
