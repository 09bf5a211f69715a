import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StateDatabase } from '../StateDatabase';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../schema';
import { tempDir } from '../../../test/support/tempDir';

let dir: string;
let file: string;
beforeEach(() => {
  dir = tempDir('overhead-table');
  file = path.join(dir, 'state.db');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const SPEC_COLUMNS = ['id', 'sandbox_id', 'start_time', 'duration_ms', 'outcome', 'alert_fired', 'created_at'];

test('migration 5 adds the workload and decomposition tables and leaves the spec table exactly as it was', async () => {
  const db = new StateDatabase({ path: file, handleExit: false });
  const monitor = new SandboxPerfMonitor({ sink: db });
  monitor.start('sb-timed');
  const timed = monitor.stop('sb-timed', {
    outcome: 'success',
    details: {
      backend: 'bubblewrap',
      exitCode: 0,
      commandMs: 0,
      timer: 'launcher',
      workload: 'cmd-0123456789ab',
      workloadLabel: 'sleep 0.2',
    },
  });
  monitor.start('sb-named');
  monitor.stop('sb-named', { outcome: 'error', details: { backend: 'docker', exitCode: 3, workload: 'nightly build' } });
  monitor.start('sb-plain');
  monitor.stop('sb-plain', { outcome: 'success', details: { backend: 'none' } });
  monitor.start('sb-bare');
  monitor.stop('sb-bare', { outcome: 'success' });
  await db.close();

  const check = new Database(file, { readonly: true });
  expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(5);
  const columns = (check.prepare('PRAGMA table_info(sandbox_perf_records)').all() as { name: string }[]).map((c) => c.name);
  expect(columns).toEqual(SPEC_COLUMNS);
  const rows = check
    .prepare(
      `SELECT r.sandbox_id, o.workload, w.label, o.backend, o.exit_code, o.command_ms, o.overhead_ms, o.timer, o.outcome, o.duration_ms = r.duration_ms AS same
         FROM sandbox_run_overhead o JOIN sandbox_perf_records r ON r.id = o.record_id LEFT JOIN sandbox_workloads w USING (workload) ORDER BY o.record_id`,
    )
    .all();
  expect(rows).toEqual([
    {
      sandbox_id: 'sb-timed',
      workload: 'cmd-0123456789ab',
      label: 'sleep 0.2',
      backend: 'bubblewrap',
      exit_code: 0,
      command_ms: 0,
      overhead_ms: timed.durationMs,
      timer: 'launcher',
      outcome: 'success',
      same: 1,
    },
    {
      sandbox_id: 'sb-named',
      workload: 'nightly build',
      label: 'nightly build',
      backend: 'docker',
      exit_code: 3,
      command_ms: null,
      overhead_ms: null,
      timer: null,
      outcome: 'error',
      same: 1,
    },
  ]);
  check.close();
}, 30_000);

test('a version 4 file is migrated in place, and a run edited by hand keeps its copies and overhead in step', () => {
  const db = new Database(file);
  for (let v = 0; v < 4; v++) db.exec(MIGRATIONS[v] as string);
  db.pragma('user_version = 4');
  db.prepare("INSERT INTO sandbox_perf_records VALUES (1, 'old', 1000, 12.5, 'success', 0, '1970-01-01T00:00:01.012Z')").run();
  expect(migrate(db, file)).toBe(4);
  expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  db.prepare(
    "INSERT INTO sandbox_run_overhead (record_id, workload, backend, command_ms, overhead_ms, outcome, start_time, duration_ms) VALUES (1, 'w', 'none', 10, 2.5, 'success', 1000, 12.5)",
  ).run();
  db.prepare("UPDATE sandbox_perf_records SET duration_ms = 20, outcome = 'timeout' WHERE id = 1").run();
  expect(db.prepare('SELECT duration_ms, overhead_ms, outcome FROM sandbox_run_overhead').get()).toEqual({
    duration_ms: 20,
    overhead_ms: 10,
    outcome: 'timeout',
  });
  db.prepare('DELETE FROM sandbox_perf_records').run();
  db.close();
}, 30_000);
