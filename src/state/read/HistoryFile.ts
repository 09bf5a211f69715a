import Database from 'better-sqlite3';
import { assertReadableVersion } from '../schema';
import { assertOwnDatabasePath } from '../ownership';
import type { Get } from './historySources';

/**
 * One read-only connection to a history file, with its statements cached. A file that does not
 * exist (yet), is empty, or has no table yet reads as "not there": `ready()` is false and the file
 * is looked at again next time. The schema version is read again on every `ready()`: a writer may
 * migrate the file while it is open; a file from a newer sandbox-perf throws `SchemaTooNewError`.
 */
export class HistoryFile {
  private connection: Database.Database | undefined;
  private schemaVersion = 0;
  private readonly statements = new Map<string, Database.Statement>();
  /** Runs one cached statement and returns its first row. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the one place a query's row type is asserted
  readonly get: Get = <T>(sql: string, params: readonly unknown[]) => this.statement(sql).get(...params) as T | undefined;

  constructor(readonly path: string) {
    this.open();
  }

  /** Opens the file if it exists now (it may appear after the reader was made); false while it does not. */
  ready(): boolean {
    if (!this.connection) return this.open();
    this.schemaVersion = assertReadableVersion(this.connection, this.path);
    return true;
  }

  /** The open connection: only after `ready()` returned true. */
  get db(): Database.Database {
    return this.connection as Database.Database;
  }

  /** PRAGMA user_version as of the last `ready()`. */
  get version(): number {
    return this.schemaVersion;
  }

  all<T>(sql: string, params: readonly unknown[]): T[] {
    return this.statement(sql).all(...params) as T[];
  }

  close(): void {
    this.statements.clear();
    this.connection?.close();
    this.connection = undefined;
  }

  private open(): boolean {
    // Refused before opening: a FIFO would block this thread, a foreign file is not a history.
    const found = assertOwnDatabasePath(this.path);
    if (found.kind === 'missing' || found.kind === 'empty') return false;
    const db = new Database(this.path, { readonly: true, fileMustExist: true });
    try {
      const version = assertReadableVersion(db, this.path);
      // A file created but not yet migrated has no table: empty, and looked at again next time.
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sandbox_perf_records'").get()) {
        db.close();
        return false;
      }
      this.schemaVersion = version;
    } catch (error) {
      db.close();
      throw error;
    }
    this.connection = db;
    return true;
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
