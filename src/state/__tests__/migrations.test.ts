import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, SCHEMA_VERSION } from '../schema';
import { tempDir } from '../../../test/support/tempDir';
import { fixtureRuns, writeCurrent, writeVersion3 } from '../../../test/support/historyFixture';

let dir: string;
let file: string;
beforeEach(() => {
  dir = tempDir('migrations');
  file = path.join(dir, 'state.db');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const names = (db: Database.Database, type: string): string[] =>
  (
    db.prepare('SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE ? ORDER BY name').all(type, 'sqlite_%') as {
      name: string;
    }[]
  ).map((row) => row.name);

test('migration 4 on a version 3 file: copies backfilled from the runs, orphans dropped, indexes and triggers in place', async () => {
  const runs = fixtureRuns(200);
  writeVersion3(file, runs);
  // A run deleted by hand with foreign keys off (the sqlite3 shell's default) leaves its details and phases behind.
  const v3 = new Database(file);
  v3.pragma('foreign_keys = OFF');
  v3.prepare("DELETE FROM sandbox_perf_records WHERE sandbox_id = 'run-0'").run();
  const orphans = (v3.prepare('SELECT count(*) AS n FROM sandbox_run_phases WHERE record_id = 1').get() as { n: number }).n;
  const phasesBefore = (v3.prepare('SELECT count(*) AS n FROM sandbox_run_phases').get() as { n: number }).n;
  const detailsBefore = v3
    .prepare('SELECT record_id, backend, exit_code FROM sandbox_run_details WHERE record_id > 1 ORDER BY record_id')
    .all();
  v3.close();
  expect(orphans).toBeGreaterThan(0);

  await writeCurrent(file, fixtureRuns(1, 99));
  const db = new Database(file, { readonly: true });
  expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  expect(
    db.prepare('SELECT record_id, backend, exit_code FROM sandbox_run_details WHERE record_id <= 200 ORDER BY record_id').all(),
  ).toEqual(detailsBefore);
  // Every copy equals the column of its run.
  expect(
    db
      .prepare(
        `SELECT count(*) AS n FROM sandbox_run_details d JOIN sandbox_perf_records r ON r.id = d.record_id
          WHERE d.start_time IS NOT r.start_time OR d.duration_ms IS NOT r.duration_ms OR d.alert_fired IS NOT r.alert_fired`,
      )
      .get(),
  ).toEqual({ n: 0 });
  expect(
    db
      .prepare(
        `SELECT count(*) AS n FROM sandbox_run_phases p JOIN sandbox_run_details d ON d.record_id = p.record_id
          WHERE p.start_time IS NOT d.start_time OR p.backend IS NOT d.backend`,
      )
      .get(),
  ).toEqual({ n: 0 });
  expect((db.prepare('SELECT count(*) AS n FROM sandbox_run_phases WHERE record_id <= 200').get() as { n: number }).n).toBe(
    phasesBefore - orphans,
  );
  expect(db.prepare('SELECT count(*) AS n FROM sandbox_run_details WHERE record_id = 1').get()).toEqual({ n: 0 });
  expect(names(db, 'index')).toEqual([
    'sandbox_perf_records_alerts',
    'sandbox_perf_records_duration',
    'sandbox_perf_records_start_time',
    'sandbox_run_details_alerts',
    'sandbox_run_details_backend_duration',
    'sandbox_run_details_backend_time',
    'sandbox_run_details_fingerprint',
    'sandbox_run_overhead_canary',
    'sandbox_run_overhead_time',
    'sandbox_run_overhead_workload',
    'sandbox_run_phases_backend_duration',
  ]);
  expect(names(db, 'trigger')).toEqual([
    'sandbox_perf_records_copies',
    'sandbox_perf_records_overhead_copies',
    'sandbox_run_details_copies',
  ]);
  expect(names(db, 'table')).toEqual([
    'sandbox_calibration_costs',
    'sandbox_calibrations',
    'sandbox_fingerprints',
    'sandbox_perf_records',
    'sandbox_run_details',
    'sandbox_run_overhead',
    'sandbox_run_phases',
    'sandbox_workloads',
  ]);
  db.close();
});

test('the copies follow a run edited by hand, and a details row without them is refused', async () => {
  await writeCurrent(file, fixtureRuns(20));
  const db = new Database(file);
  const id = (db.prepare("SELECT record_id AS id FROM sandbox_run_details WHERE backend = 'docker' LIMIT 1").get() as { id: number }).id;
  db.prepare('UPDATE sandbox_perf_records SET start_time = 5, duration_ms = 6.5, alert_fired = 1 WHERE id = ?').run(id);
  db.prepare("UPDATE sandbox_run_details SET backend = 'docker-warm' WHERE record_id = ?").run(id);
  expect(db.prepare('SELECT backend, start_time, duration_ms, alert_fired FROM sandbox_run_details WHERE record_id = ?').get(id)).toEqual({
    backend: 'docker-warm',
    start_time: 5,
    duration_ms: 6.5,
    alert_fired: 1,
  });
  expect(db.prepare('SELECT DISTINCT backend, start_time FROM sandbox_run_phases WHERE record_id = ?').all(id)).toEqual([
    { backend: 'docker-warm', start_time: 5 },
  ]);
  const free = db
    .prepare(
      'INSERT INTO sandbox_perf_records (sandbox_id, start_time, duration_ms, outcome, alert_fired, created_at) VALUES (?, 1, 1, ?, 0, ?)',
    )
    .run('x', 'success', 'now').lastInsertRowid;
  expect(() => db.prepare("INSERT INTO sandbox_run_details (record_id, backend) VALUES (?, 'none')").run(free)).toThrow(
    /NOT NULL constraint failed: sandbox_run_details.start_time/,
  );
  db.close();
});

test('two processes migrating at once: the second finds the work done once it holds the write lock', () => {
  writeVersion3(file, fixtureRuns(50));
  const first = new Database(file);
  const second = new Database(file);
  const pragma = second.pragma.bind(second);
  // The first process migrates between the second's read of the version and its BEGIN IMMEDIATE.
  jest.spyOn(second, 'pragma').mockImplementationOnce((source, options) => {
    const version = pragma(source, options);
    migrate(first, file);
    return version;
  });
  expect(migrate(second, file)).toBe(3);
  expect(second.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  expect(second.prepare('SELECT count(*) AS n FROM sandbox_perf_records').get()).toEqual({ n: 50 });
  first.close();
  second.close();
});
