import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { assertReadableVersion, migrate } from './schema';
import { alertAt, batchLength, outcomeAt, type RecordBatch } from './RecordBatch';
import { errorCode, errorMessage } from '../log';

export interface StoreOptions {
  /** How long a write waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs: number;
  /** Diagnostics that the owner logs (once per episode). */
  onEvent?: (event: StoreEvent) => void;
}

export interface StoreEvent {
  level: 'info' | 'warn' | 'error';
  code: string;
  message: string;
}

export interface Retention {
  /** Keep rows whose run started within this many days. */
  maxAgeDays?: number;
  /** Keep at most this many runs (the newest). */
  maxRows?: number;
}

const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);

/** True for errors that moving the file aside and starting afresh cures. */
export function isCorruption(code: string): boolean {
  return CORRUPT.has(code);
}

/**
 * Synchronous SQLite writer with recovery. Used by the writer thread, and on the main thread
 * only for the last-chance write at process exit.
 *
 * Recovers by itself from: a missing folder (created), a file moved or deleted while open
 * (reopened, which recreates it), a corrupt or non-database file (moved aside to
 * `<name>.corrupt-<timestamp>`, a fresh database created). Anything else (read-only, busy,
 * disk full, a newer schema) is thrown to the owner, which keeps the rows and retries.
 */
export class SqliteStore {
  private db: Database.Database | undefined;
  private inode = 0;
  private writeAll: ((batch: RecordBatch) => void) | undefined;

  constructor(
    readonly file: string,
    private readonly options: StoreOptions,
  ) {}

  /** Opens (creating and migrating) the file now rather than at the first write. */
  connect(): void {
    this.ensureOpen();
  }

  /** Writes every row of the batch in one transaction; returns the number written. */
  write(batch: RecordBatch): number {
    this.ensureOpen();
    try {
      (this.writeAll as (b: RecordBatch) => void)(batch);
    } catch (error) {
      if (!this.recover(error)) throw error;
      this.ensureOpen();
      (this.writeAll as (b: RecordBatch) => void)(batch);
    }
    return batchLength(batch);
  }

  /** Deletes rows outside the retention; returns how many runs were removed. */
  prune(retention: Retention, now = Date.now()): number {
    this.ensureOpen();
    const db = this.db as Database.Database;
    let removed = 0;
    if (retention.maxAgeDays !== undefined) {
      removed += db.prepare('DELETE FROM sandbox_perf_records WHERE start_time < ?').run(now - retention.maxAgeDays * 86_400_000).changes;
    }
    if (retention.maxRows !== undefined) {
      removed += db
        .prepare('DELETE FROM sandbox_perf_records WHERE id <= (SELECT id FROM sandbox_perf_records ORDER BY id DESC LIMIT 1 OFFSET ?)')
        .run(retention.maxRows).changes;
    }
    return removed;
  }

  close(): void {
    const db = this.db;
    this.db = undefined;
    this.writeAll = undefined;
    if (db?.open) {
      try {
        db.close();
      } catch {
        // Closing a connection to a damaged or vanished file can fail; the handle is dropped either way.
      }
    }
  }

  private ensureOpen(): void {
    if (this.db) {
      if (this.fileStillOurs()) return;
      this.emit('warn', 'SANDBOX_PERF_DB_MOVED', `${this.file} was moved or deleted while open; reopening (a new file is created)`);
      this.close();
    }
    this.open(true);
  }

  private fileStillOurs(): boolean {
    try {
      return fs.statSync(this.file).ino === this.inode;
    } catch {
      return false;
    }
  }

  private open(mayMoveAside: boolean): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const db = new Database(this.file, { timeout: this.options.busyTimeoutMs });
    try {
      // Before any pragma that writes: a file from a newer version must stay byte-identical.
      assertReadableVersion(db, this.file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // The duration index takes inserts all over its b-tree: the default 2 MB cache thrashes on it.
      db.pragma('cache_size = -32768');
      db.pragma('foreign_keys = ON');
      migrate(db, this.file);
    } catch (error) {
      db.close();
      if (mayMoveAside && isCorruption(errorCode(error))) {
        this.moveAside(error);
        this.open(false);
        return;
      }
      throw error;
    }
    this.db = db;
    this.inode = fs.statSync(this.file).ino;
    this.prepare(db);
  }

  private prepare(db: Database.Database): void {
    const insertRecord = db.prepare(
      'INSERT INTO sandbox_perf_records (sandbox_id, start_time, duration_ms, outcome, alert_fired, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // start_time, duration_ms, alert_fired and backend are copies (migration 4): the per-backend reports need no join.
    const insertDetails = db.prepare(
      'INSERT INTO sandbox_run_details (record_id, backend, exit_code, signal, cpu_ms, peak_memory_bytes, error, start_time, duration_ms, alert_fired) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const insertPhase = db.prepare(
      'INSERT INTO sandbox_run_phases (record_id, phase, duration_ms, backend, start_time) VALUES (?, ?, ?, ?, ?)',
    );
    this.writeAll = db.transaction((batch: RecordBatch) => {
      const n = batchLength(batch);
      for (let i = 0; i < n; i++) {
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
          );
          if (details.phases) {
            for (const [phase, ms] of Object.entries(details.phases)) insertPhase.run(id, phase, ms, details.backend, startTime);
          }
        }
      }
    });
  }

  /** Returns true when the error was cured and the write should be tried once more. */
  private recover(error: unknown): boolean {
    const code = errorCode(error);
    if (isCorruption(code)) {
      this.close();
      this.moveAside(error);
      return true;
    }
    // CANTOPEN also means a read-only folder (no -wal can be created): only a file that is really
    // gone or replaced is worth reopening.
    if (code === 'SQLITE_READONLY_DBMOVED' || !this.fileStillOurs()) {
      this.emit('warn', code, `${this.file} was moved or deleted while open (${code}); reopening`);
      this.close();
      return true;
    }
    return false;
  }

  private moveAside(error: unknown): void {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const aside = `${this.file}.corrupt-${stamp}`;
    fs.renameSync(this.file, aside);
    for (const suffix of ['-wal', '-journal']) {
      if (fs.existsSync(this.file + suffix)) fs.renameSync(this.file + suffix, aside + suffix);
    }
    fs.rmSync(`${this.file}-shm`, { force: true });
    this.emit(
      'error',
      errorCode(error),
      `${this.file} is not a usable SQLite database (${errorCode(error)}: ${errorMessage(error)}); ` +
        `moved it aside to ${aside} and started a fresh database`,
    );
  }

  private emit(level: StoreEvent['level'], code: string, message: string): void {
    this.options.onEvent?.({ level, code, message });
  }
}
