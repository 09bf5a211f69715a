// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import { errorCode, errorMessage } from '../../log';
import { HistoryFile } from '../../state/read/HistoryFile';

/** The open history with its schema version (PRAGMA user_version, checked readable), or why there is none. */
export type HistoryState = { ok: true; db: Database.Database; version: number } | { ok: false; code: string; message: string };

/**
 * The dashboard's and the server's view of the history another process writes: the read side's one
 * connection (`HistoryFile`: ownership and schema version checked, "not there yet" while the file
 * is missing, empty or not migrated), opened on first use and looked at again on every later call
 * until it is there. Problems come back as a state the page shows, never as a throw. WAL readers
 * see each committed batch at their next statement, so one connection serves every request.
 */
export class HistoryConnection {
  private file: HistoryFile | undefined;

  constructor(readonly path: string) {}

  get(): HistoryState {
    try {
      this.file ??= new HistoryFile(this.path);
      if (this.file.ready()) return { ok: true, db: this.file.db, version: this.file.version };
      return {
        ok: false,
        code: 'ENOENT',
        message: `No history at ${this.path} yet: it appears once a monitor records a run (set SANDBOX_PERF_DB or --db to read another file)`,
      };
    } catch (error) {
      return {
        ok: false,
        code: errorCode(error),
        message: `Cannot open ${this.path} read-only (${errorCode(error)}: ${errorMessage(error)})`,
      };
    }
  }

  close(): void {
    this.file?.close();
    this.file = undefined;
  }
}
