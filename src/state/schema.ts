// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';

/**
 * Versioned migrations, tracked in `PRAGMA user_version`. Each entry moves the schema from
 * version i to i + 1 and runs in one transaction. Never edit a released migration: append one.
 * docs/database-schema.md documents the result.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the spec's table, plus the indexes the history queries use.
  `CREATE TABLE IF NOT EXISTS sandbox_perf_records (
     id INTEGER PRIMARY KEY,
     sandbox_id TEXT NOT NULL,
     start_time INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL,
     outcome TEXT NOT NULL,
     alert_fired INTEGER NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS sandbox_perf_records_start_time ON sandbox_perf_records (start_time, duration_ms);
   CREATE INDEX IF NOT EXISTS sandbox_perf_records_duration ON sandbox_perf_records (duration_ms, start_time);`,
  // 2: what a sandbox backend adds to a run, without touching the spec's columns.
  `CREATE TABLE IF NOT EXISTS sandbox_run_details (
     record_id INTEGER PRIMARY KEY REFERENCES sandbox_perf_records (id) ON DELETE CASCADE,
     backend TEXT NOT NULL,
     exit_code INTEGER,
     signal TEXT,
     cpu_ms REAL,
     peak_memory_bytes INTEGER,
     error TEXT
   );
   CREATE INDEX IF NOT EXISTS sandbox_run_details_backend ON sandbox_run_details (backend);
   CREATE TABLE IF NOT EXISTS sandbox_run_phases (
     record_id INTEGER NOT NULL REFERENCES sandbox_perf_records (id) ON DELETE CASCADE,
     phase TEXT NOT NULL,
     duration_ms REAL NOT NULL,
     PRIMARY KEY (record_id, phase)
   ) WITHOUT ROWID;`,
  // 3: alert counts for a window without reading every row (the history reader's alertCount).
  `CREATE INDEX IF NOT EXISTS sandbox_perf_records_alerts ON sandbox_perf_records (start_time) WHERE alert_fired = 1;`,
  // 4: per-backend and per-phase reports from covering indexes, without a join. The spec's table
  // keeps its columns; the details and phases tables get copies of what those reports filter and
  // sort on, backfilled here (rows whose run no longer exists are dropped), and kept in step by
  // the writer and by triggers if a run is edited by hand. Rebuilt rather than altered, so that
  // the copies are NOT NULL: a row that lacks them fails loudly instead of reading as no run.
  `CREATE TABLE sandbox_run_details_v4 (
     record_id INTEGER PRIMARY KEY REFERENCES sandbox_perf_records (id) ON DELETE CASCADE,
     backend TEXT NOT NULL,
     exit_code INTEGER,
     signal TEXT,
     cpu_ms REAL,
     peak_memory_bytes INTEGER,
     error TEXT,
     start_time INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL,
     alert_fired INTEGER NOT NULL
   );
   INSERT INTO sandbox_run_details_v4
     SELECT d.record_id, d.backend, d.exit_code, d.signal, d.cpu_ms, d.peak_memory_bytes, d.error, r.start_time, r.duration_ms, r.alert_fired
       FROM sandbox_run_details d JOIN sandbox_perf_records r ON r.id = d.record_id;
   DROP TABLE sandbox_run_details;
   ALTER TABLE sandbox_run_details_v4 RENAME TO sandbox_run_details;
   CREATE INDEX sandbox_run_details_backend_time ON sandbox_run_details (backend, start_time, duration_ms);
   CREATE INDEX sandbox_run_details_backend_duration ON sandbox_run_details (backend, duration_ms, start_time);
   CREATE INDEX sandbox_run_details_alerts ON sandbox_run_details (backend, start_time) WHERE alert_fired = 1;
   CREATE TABLE sandbox_run_phases_v4 (
     record_id INTEGER NOT NULL REFERENCES sandbox_perf_records (id) ON DELETE CASCADE,
     phase TEXT NOT NULL,
     duration_ms REAL NOT NULL,
     backend TEXT NOT NULL,
     start_time INTEGER NOT NULL,
     PRIMARY KEY (record_id, phase)
   ) WITHOUT ROWID;
   INSERT INTO sandbox_run_phases_v4
     SELECT p.record_id, p.phase, p.duration_ms, d.backend, d.start_time
       FROM sandbox_run_phases p JOIN sandbox_run_details d ON d.record_id = p.record_id;
   DROP TABLE sandbox_run_phases;
   ALTER TABLE sandbox_run_phases_v4 RENAME TO sandbox_run_phases;
   CREATE INDEX sandbox_run_phases_backend_duration ON sandbox_run_phases (backend, phase, duration_ms, start_time);
   CREATE TRIGGER sandbox_perf_records_copies AFTER UPDATE OF start_time, duration_ms, alert_fired ON sandbox_perf_records
   BEGIN
     UPDATE sandbox_run_details SET start_time = NEW.start_time, duration_ms = NEW.duration_ms, alert_fired = NEW.alert_fired
      WHERE record_id = NEW.id;
     UPDATE sandbox_run_phases SET start_time = NEW.start_time WHERE record_id = NEW.id;
   END;
   CREATE TRIGGER sandbox_run_details_copies AFTER UPDATE OF backend ON sandbox_run_details
   BEGIN
     UPDATE sandbox_run_phases SET backend = NEW.backend WHERE record_id = NEW.record_id;
   END;`,
  // 5: what the run's time is made of, and what it ran (issue 14). One row per run from a backend
  // that named its workload or timed its command; copies of the run's start, duration and outcome
  // so that per-workload reports read one index. Workload labels once per workload.
  `CREATE TABLE sandbox_run_overhead (
     record_id INTEGER PRIMARY KEY REFERENCES sandbox_perf_records (id) ON DELETE CASCADE,
     workload TEXT,
     backend TEXT NOT NULL,
     exit_code INTEGER,
     command_ms REAL,
     overhead_ms REAL,
     timer TEXT,
     outcome TEXT NOT NULL,
     start_time INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL
   );
   CREATE INDEX sandbox_run_overhead_workload ON sandbox_run_overhead
     (workload, backend, outcome, start_time, duration_ms, command_ms, overhead_ms);
   CREATE INDEX sandbox_run_overhead_time ON sandbox_run_overhead (start_time);
   CREATE TABLE sandbox_workloads (
     workload TEXT PRIMARY KEY,
     label TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TRIGGER sandbox_perf_records_overhead_copies AFTER UPDATE OF start_time, duration_ms, outcome ON sandbox_perf_records
   BEGIN
     UPDATE sandbox_run_overhead SET start_time = NEW.start_time, duration_ms = NEW.duration_ms, outcome = NEW.outcome,
            overhead_ms = CASE WHEN command_ms IS NULL THEN NULL ELSE NEW.duration_ms - command_ms END
      WHERE record_id = NEW.id;
   END;`,
  // 6: the machine each run was measured on (issue 16). One row per machine state, keyed by a hash
  // of the fields that identify it (src/state/fingerprintHistory.ts; the load average is kept in
  // the JSON but not hashed), and a link from each run's details. Runs written before stay NULL.
  `CREATE TABLE sandbox_fingerprints (
     id INTEGER PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     json TEXT NOT NULL,
     first_seen TEXT NOT NULL
   );
   ALTER TABLE sandbox_run_details ADD COLUMN fingerprint_id INTEGER REFERENCES sandbox_fingerprints (id);
   CREATE INDEX sandbox_run_details_fingerprint ON sandbox_run_details (fingerprint_id, start_time, backend)
     WHERE fingerprint_id IS NOT NULL;`,
  // 7: runs made by a canary (issue 14, item 4: `serve --canary`, startCanary()). Each round of a
  // canary stamps its runs with the round's start (epoch ms), so that a round's backends are
  // compared with each other and found again; NULL for every other run.
  `ALTER TABLE sandbox_run_overhead ADD COLUMN canary_round INTEGER;
   CREATE INDEX sandbox_run_overhead_canary ON sandbox_run_overhead (canary_round, workload, backend)
     WHERE canary_round IS NOT NULL;`,
  // 8: calibrations (issue 26, `sandbox-perf calibrate`): each one's whole fit as JSON (what
  // `predict` reads) and the machine state it ran on, plus one row per backend and operation class
  // for SQL readers. Nothing refers to the runs: calibration runs are not recorded as runs.
  `CREATE TABLE sandbox_calibrations (
     id INTEGER PRIMARY KEY,
     created_at TEXT NOT NULL,
     fingerprint_id INTEGER REFERENCES sandbox_fingerprints (id),
     json TEXT NOT NULL
   );
   CREATE TABLE sandbox_calibration_costs (
     calibration_id INTEGER NOT NULL REFERENCES sandbox_calibrations (id) ON DELETE CASCADE,
     backend TEXT NOT NULL,
     class TEXT NOT NULL,
     ms_per_op REAL NOT NULL,
     low REAL NOT NULL,
     high REAL NOT NULL,
     delta_ms_per_op REAL,
     delta_low REAL,
     delta_high REAL,
     PRIMARY KEY (calibration_id, backend, class)
   ) WITHOUT ROWID;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** A database written by a newer sandbox-perf: left untouched. */
export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
  readonly code = 'SANDBOX_PERF_SCHEMA_TOO_NEW';
  constructor(
    readonly path: string,
    readonly found: number,
  ) {
    super(
      `${path} has schema version ${found}, newer than this sandbox-perf understands (${SCHEMA_VERSION}); ` +
        'upgrade sandbox-perf or point SANDBOX_PERF_DB at another file. The file was left untouched.',
    );
  }
}

/** Brings the schema up to SCHEMA_VERSION; throws SchemaTooNewError without writing for a newer file. */
export function migrate(db: Database.Database, path: string): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) throw new SchemaTooNewError(path, current);
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      // Read again under the write lock: another process may have migrated the file since.
      const now = db.pragma('user_version', { simple: true }) as number;
      if (now > SCHEMA_VERSION) throw new SchemaTooNewError(path, now);
      if (now > v) return;
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return current;
}

/** Checks the version of a file opened read-only (the history reader). */
export function assertReadableVersion(db: Database.Database, path: string): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) throw new SchemaTooNewError(path, current);
  return current;
}
