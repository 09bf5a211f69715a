import fs from 'node:fs';
import Sqlite from 'better-sqlite3';
// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import { errorCode, errorMessage } from '../../log';

export type HistoryState = { ok: true; db: Database.Database } | { ok: false; code: string; message: string };

/**
 * A read-only connection to the SQLite history that another process writes, opened on first
 * use and retried on every later call while it cannot be opened (the file may not exist yet).
 * WAL readers see each committed batch at their next statement, so one connection serves
 * every request.
 */
export class HistoryConnection {
  private db: Database.Database | undefined;

  constructor(readonly path: string) {}

  get(): HistoryState {
    if (this.db) return { ok: true, db: this.db };
    if (!fs.existsSync(this.path)) {
      return {
        ok: false,
        code: 'ENOENT',
        message: `No history at ${this.path} yet: it appears once a monitor records a run (set SANDBOX_PERF_DB or --db to read another file)`,
      };
    }
    try {
      this.db = new Sqlite(this.path, { readonly: true, fileMustExist: true });
      return { ok: true, db: this.db };
    } catch (error) {
      return {
        ok: false,
        code: errorCode(error),
        message: `Cannot open ${this.path} read-only (${errorCode(error)}: ${errorMessage(error)})`,
      };
    }
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}
