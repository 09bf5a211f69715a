import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { assertReadableVersion, migrate } from '../schema';
import { APPLICATION_ID, DatabaseRefusedError, assertOwnDatabasePath } from '../ownership';
import { batchLength, type RecordBatch } from './RecordBatch';
import { errorCode, errorMessage } from '../../log';
import { rowInserter } from './rowInserter';
import { isCorruption, isRowError } from './sqliteErrors';

export interface StoreOptions {
  /** How long a write waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs: number;
  /** Diagnostics that the owner logs (once per episode). */
  onEvent?: (event: StoreEvent) => void;
  /**
   * Asked inside each write transaction, once the write lock is held: true makes the write roll back
   * and throw WriteAbandonedError. The writer thread's answer to "the main thread is exiting and
   * writes the rest itself".
   */
  abandonWrites?: () => boolean;
}

/** A write rolled back because the owner took the remaining rows over (process exit). */
export class WriteAbandonedError extends Error {
  override name = 'WriteAbandonedError';
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

/** What a write stored: rows written, rows dropped because SQLite refused what they hold. */
export interface WriteResult {
  written: number;
  rejected: number;
  firstRejected: { sandboxId: string; code: string; message: string } | undefined;
}

/**
 * Synchronous SQLite writer with recovery. Used by the writer thread, and on the main thread
 * only for the last-chance write at process exit.
 *
 * Opens only what inspectDatabaseFile accepts (a new path, an empty file, a sandbox-perf
 * database); anything else throws DatabaseRefusedError and is never opened for writing.
 * Recovers by itself from: a missing folder (created), a file moved or deleted while open
 * (reopened, which recreates it), a damaged file that is verifiably ours (moved aside to
 * `<name>.corrupt-<timestamp>`, a fresh database created). Anything else (read-only, busy,
 * disk full, a newer schema, a file that is not ours) is thrown to the owner, which keeps the
 * rows and retries.
 */
export class SqliteStore {
  private db: Database.Database | undefined;
  private inode = 0;
  private writeAll: Database.Transaction<(batch: RecordBatch) => void> | undefined;
  private writeIsolated: Database.Transaction<(batch: RecordBatch) => WriteResult> | undefined;
  private hasRow: Database.Statement<[string, number, number]> | undefined;

  constructor(
    readonly file: string,
    private readonly options: StoreOptions,
  ) {}

  /** Opens (creating and migrating) the file now rather than at the first write. */
  connect(): void {
    this.ensureOpen();
  }

  /**
   * Writes every row of the batch in one transaction. When a row fails for what it holds (a
   * constraint, a value SQLite cannot bind), the batch is written again row by row, each in a
   * savepoint: only the bad rows are dropped (counted in `rejected`), the rest are committed.
   */
  write(batch: RecordBatch): WriteResult {
    this.ensureOpen();
    try {
      this.writeAll?.immediate(batch);
    } catch (error) {
      if (isRowError(error)) return (this.writeIsolated as Database.Transaction<(b: RecordBatch) => WriteResult>).immediate(batch);
      if (error instanceof WriteAbandonedError || !this.recover(error)) throw error;
      this.ensureOpen();
      return this.write(batch);
    }
    return { written: batchLength(batch), rejected: 0, firstRejected: undefined };
  }

  /**
   * The last write at process exit, in one transaction: `maybeWritten` (the batch the writer thread
   * may or may not have committed) unless its last row is already in the file, then `rest`. Rows of
   * a batch are committed together, so its last row tells whether the whole batch is there; a run is
   * told apart by its id, start time (ms) and duration (a double from the monotonic clock).
   * Returns the number of rows written.
   */
  writeAtExit(maybeWritten: RecordBatch | undefined, rest: RecordBatch): WriteResult {
    this.ensureOpen();
    const db = this.db as Database.Database;
    // Row by row (savepoints): one bad row must not lose the rest at exit either.
    const writeIsolated = this.writeIsolated as Database.Transaction<(batch: RecordBatch) => WriteResult>;
    const total: WriteResult = { written: 0, rejected: 0, firstRejected: undefined };
    const add = (r: WriteResult): void => {
      total.written += r.written;
      total.rejected += r.rejected;
      total.firstRejected ??= r.firstRejected;
    };
    db.transaction(() => {
      if (maybeWritten !== undefined && batchLength(maybeWritten) > 0 && !this.holdsLastRow(maybeWritten)) add(writeIsolated(maybeWritten));
      if (batchLength(rest) > 0) add(writeIsolated(rest));
    }).immediate();
    return total;
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
    this.writeIsolated = undefined;
    this.hasRow = undefined;
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
    // Before anything that could create, write or block: a file that is not ours stays untouched.
    const found = assertOwnDatabasePath(this.file);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const db = new Database(this.file, { timeout: this.options.busyTimeoutMs });
    try {
      // Before any pragma that writes: a file from a newer version must stay byte-identical.
      assertReadableVersion(db, this.file);
      const stamped = db.pragma('application_id', { simple: true }) as number;
      if (stamped !== APPLICATION_ID) {
        // Replaced since the inspection by something that is not ours: leave it alone.
        if (found.kind === 'ours') throw new DatabaseRefusedError(this.file, `a file whose application_id changed to ${stamped}`);
        // Stamped before WAL mode, in the main file itself: a crash before the first checkpoint
        // cannot leave a file whose header does not say it is ours.
        db.pragma(`application_id = ${APPLICATION_ID}`);
      }
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // The duration index takes inserts all over its b-tree: the default 2 MB cache thrashes on it.
      db.pragma('cache_size = -32768');
      db.pragma('foreign_keys = ON');
      migrate(db, this.file);
      // An older sandbox-perf file is already in WAL mode: its stamp went to the WAL; put it in the header now.
      if (stamped !== APPLICATION_ID) db.pragma('wal_checkpoint(PASSIVE)');
    } catch (error) {
      db.close();
      // Moved aside only when verifiably ours: our application_id, or an older sandbox-perf's tables.
      const ours = found.kind === 'ours' || found.kind === 'legacy';
      if (mayMoveAside && ours && isCorruption(errorCode(error))) {
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

  private holdsLastRow(batch: RecordBatch): boolean {
    const last = batchLength(batch) - 1;
    const row = this.hasRow?.get(batch.sandboxIds[last] as string, batch.startTimes[last] as number, batch.durations[last] as number);
    return row !== undefined;
  }

  private prepare(db: Database.Database): void {
    // Served by the (start_time, duration_ms) index.
    this.hasRow = db.prepare<[string, number, number]>(
      'SELECT 1 FROM sandbox_perf_records WHERE sandbox_id = ? AND start_time = ? AND duration_ms = ? LIMIT 1',
    );
    const insertRow = rowInserter(db);
    const abandonCheck = (batch: RecordBatch): void => {
      if (this.options.abandonWrites?.() === true) throw new WriteAbandonedError(`the write of ${batchLength(batch)} rows was taken over`);
    };
    this.writeAll = db.transaction((batch: RecordBatch) => {
      abandonCheck(batch);
      const n = batchLength(batch);
      for (let i = 0; i < n; i++) insertRow(batch, i);
    });
    // Called inside writeIsolated's transaction: a savepoint, so a failing row rolls back alone.
    const writeOne = db.transaction(insertRow);
    this.writeIsolated = db.transaction((batch: RecordBatch): WriteResult => {
      abandonCheck(batch);
      const result: WriteResult = { written: 0, rejected: 0, firstRejected: undefined };
      const n = batchLength(batch);
      for (let i = 0; i < n; i++) {
        try {
          writeOne(batch, i);
          result.written++;
        } catch (error) {
          if (!isRowError(error)) throw error;
          result.rejected++;
          result.firstRejected ??= { sandboxId: String(batch.sandboxIds[i]), code: errorCode(error), message: errorMessage(error) };
        }
      }
      return result;
    });
  }

  /** Returns true when the error was cured and the write should be tried once more. */
  private recover(error: unknown): boolean {
    const code = errorCode(error);
    // The open file passed the ownership check; its inode says it is still that file.
    if (isCorruption(code) && this.fileStillOurs()) {
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
