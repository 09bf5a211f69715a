// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import { alertAt, outcomeAt, type RecordBatch } from './RecordBatch';
import { storeFingerprint, writerFingerprint } from '../fingerprintHistory';

/**
 * The INSERTs of one run, prepared once per connection: its record, and when it has details, the
 * details row (tagged with this writer's machine fingerprint), its phases, and its decomposition
 * and workload. Returns the function that writes row `i` of a batch; the caller wraps it in a
 * transaction (or a savepoint, to isolate a failing row).
 */
export function rowInserter(db: Database.Database): (batch: RecordBatch, i: number) => void {
  const insertRecord = db.prepare(
    'INSERT INTO sandbox_perf_records (sandbox_id, start_time, duration_ms, outcome, alert_fired, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  // Once per connection, off the caller's thread: the machine state every run written here is tagged with (migration 6).
  const fingerprintId = storeFingerprint(db, writerFingerprint());
  // start_time, duration_ms, alert_fired and backend are copies (migration 4): the per-backend reports need no join.
  const insertDetails = db.prepare(
    'INSERT INTO sandbox_run_details (record_id, backend, exit_code, signal, cpu_ms, peak_memory_bytes, error, start_time, duration_ms, alert_fired, fingerprint_id) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertPhase = db.prepare(
    'INSERT INTO sandbox_run_phases (record_id, phase, duration_ms, backend, start_time) VALUES (?, ?, ?, ?, ?)',
  );
  // Migration 5: the decomposition and the workload, for runs that have either.
  const insertOverhead = db.prepare(
    'INSERT INTO sandbox_run_overhead (record_id, workload, backend, exit_code, command_ms, overhead_ms, timer, outcome, start_time, duration_ms, canary_round) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertWorkload = db.prepare('INSERT OR IGNORE INTO sandbox_workloads (workload, label) VALUES (?, ?)');
  const insertRow = (batch: RecordBatch, i: number): void => {
    const startTime = batch.startTimes[i] as number;
    const durationMs = batch.durations[i] as number;
    const alert = alertAt(batch, i) ? 1 : 0;
    const info = insertRecord.run(
      batch.sandboxIds[i],
      startTime,
      durationMs,
      outcomeAt(batch, i),
      alert,
      new Date(startTime + durationMs).toISOString(),
    );
    const details = batch.details?.[i];
    if (details) {
      const id = info.lastInsertRowid;
      insertDetails.run(
        id,
        details.backend,
        details.exitCode ?? null,
        details.signal ?? null,
        details.cpuMs ?? null,
        details.peakMemoryBytes ?? null,
        details.error ?? null,
        startTime,
        durationMs,
        alert,
        fingerprintId,
      );
      if (details.phases) {
        for (const [phase, ms] of Object.entries(details.phases)) insertPhase.run(id, phase, ms, details.backend, startTime);
      }
      const workload = typeof details.workload === 'string' ? details.workload : null;
      const commandMs = typeof details.commandMs === 'number' && Number.isFinite(details.commandMs) ? details.commandMs : null;
      if (workload !== null || commandMs !== null) {
        insertOverhead.run(
          id,
          workload,
          details.backend,
          details.exitCode ?? null,
          commandMs,
          commandMs === null ? null : durationMs - commandMs,
          typeof details.timer === 'string' ? details.timer : null,
          outcomeAt(batch, i),
          startTime,
          durationMs,
          typeof details.canaryRound === 'number' ? details.canaryRound : null,
        );
        if (workload !== null) insertWorkload.run(workload, typeof details.workloadLabel === 'string' ? details.workloadLabel : workload);
      }
    }
  };
  return insertRow;
}
