import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describeValue } from '../validation';
import { errorCode, errorMessage } from '../log';
import { MIGRATIONS, SCHEMA_VERSION } from './schema';

/**
 * `PRAGMA application_id` of every database sandbox-perf creates: the ASCII bytes "SPRF". Stamped
 * in the file header (offset 68), so a file can be recognised from its first 100 bytes without
 * opening it. docs/database-schema.md lists it; never change it.
 */
export const APPLICATION_ID = 0x53505246;

/** What a path holds, as far as the history is concerned. */
export type DatabaseFileState =
  /** Nothing there yet (its folder may be missing too): created on first write. */
  | { kind: 'missing' }
  /** A zero-byte file, or a SQLite database without any table: claimed and stamped. */
  | { kind: 'empty' }
  /** A sandbox-perf database (application_id is ours); `version` is its schema version (user_version). */
  | { kind: 'ours'; version: number }
  /** A database of an older sandbox-perf (before application_id), recognised by its tables: stamped when opened for writing. */
  | { kind: 'legacy'; version: number }
  /** Anything else; `found` says what, for the error message. */
  | { kind: 'refused'; found: string };

/** A path that holds something sandbox-perf does not own. The file is never opened for writing, moved or changed. */
export class DatabaseRefusedError extends Error {
  override name = 'DatabaseRefusedError';
  readonly code = 'SANDBOX_PERF_NOT_OURS';
  constructor(
    readonly path: string,
    readonly found: string,
  ) {
    super(
      `Expected \`${path}\` to be a sandbox-perf database, an empty file or a path that does not exist yet, got ${found}; ` +
        'it was left untouched (choose another file with --db or SANDBOX_PERF_DB)',
    );
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;
/** Pseudo file systems whose "files" are not storage (size 0, side effects on write). */
const PSEUDO_ROOTS = ['/proc', '/sys'];

/** Every table any migration creates: a database holding only these is an older sandbox-perf one. */
const OUR_TABLES: ReadonlySet<string> = new Set(
  MIGRATIONS.flatMap((sql) => [...sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/g)].map((m) => m[1] as string)),
);

function refused(found: string): DatabaseFileState {
  return { kind: 'refused', found };
}

function underPseudoFs(real: string): boolean {
  return PSEUDO_ROOTS.some((root) => real === root || real.startsWith(`${root}/`));
}

function kindOf(stat: fs.Stats): string | undefined {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return stat.isFile() ? undefined : 'something that is not a regular file';
}

/** For a path that does not exist: the nearest existing ancestor must be a folder outside /proc and /sys. */
function inspectMissing(file: string): DatabaseFileState {
  let dir = path.dirname(file);
  for (;;) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(dir);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' && dir !== path.dirname(dir)) {
        dir = path.dirname(dir);
        continue;
      }
      if (code === 'ENOTDIR') {
        dir = path.dirname(dir);
        continue;
      }
      if (code === 'ELOOP') return refused(`a path through a symbolic link loop (${dir})`);
      return refused(`a folder that cannot be inspected (${code} on ${dir})`);
    }
    if (!stat.isDirectory()) return refused(`a path under a plain file (${dir} is not a folder)`);
    if (underPseudoFs(fs.realpathSync(dir))) return refused(`a path in ${fs.realpathSync(dir)} (a kernel pseudo file system)`);
    return { kind: 'missing' };
  }
}

function printable(bytes: Buffer): string {
  const text = bytes.toString('latin1', 0, Math.min(bytes.length, 16));
  return describeValue(text.replace(/[^\x20-\x7e]/g, '.'));
}

/** Tables of a SQLite file, read without writing anything beside it (no -wal, -shm or -journal). */
function tablesOf(file: string, header: Buffer): { tables: string[]; version: number } {
  const walMode = header[18] === 2;
  const walExists = fs.existsSync(`${file}-wal`);
  // A read-only connection to a WAL file creates -wal and -shm: read a copy in memory instead,
  // marked as a rollback-journal file (memory databases cannot be WAL). With a -wal present its
  // rows matter, and the sidecars exist already: open the file itself, read-only.
  let db: Database.Database;
  if (walMode && !walExists) {
    const copy = fs.readFileSync(file);
    copy[18] = 1;
    copy[19] = 1;
    db = new Database(copy, { readonly: true });
  } else {
    db = new Database(file, { readonly: true, fileMustExist: true });
  }
  try {
    const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").all() as {
      name: string;
    }[];
    return { tables: rows.map((r) => r.name), version: db.pragma('user_version', { simple: true }) as number };
  } finally {
    db.close();
  }
}

function inspectSqlite(file: string, header: Buffer): DatabaseFileState {
  const applicationId = header.readUInt32BE(68);
  if (applicationId === APPLICATION_ID) return { kind: 'ours', version: header.readUInt32BE(60) };
  if (applicationId !== 0) {
    return refused(`a SQLite database of another application (application_id 0x${applicationId.toString(16).padStart(8, '0')})`);
  }
  let found: { tables: string[]; version: number };
  try {
    found = tablesOf(file, header);
  } catch (error) {
    return refused(`a SQLite database whose tables cannot be read (${errorCode(error)}: ${errorMessage(error)})`);
  }
  const { tables, version } = found;
  if (tables.length === 0) return { kind: 'empty' };
  const foreign = tables.filter((t) => !OUR_TABLES.has(t));
  if (foreign.length === 0 && tables.includes('sandbox_perf_records') && version >= 1 && version <= SCHEMA_VERSION) {
    return { kind: 'legacy', version };
  }
  const shown = (foreign.length > 0 ? foreign : tables).slice(0, 5).join(', ');
  return refused(`a SQLite database of another application (user_version ${version}, tables: ${shown})`);
}

/**
 * Says what `file` holds without changing it: stat before any open, so a FIFO never blocks and a
 * device is never opened; the first 100 bytes for a regular file; the table list for a SQLite
 * file without our application_id (read from a copy when that avoids creating -wal/-shm).
 */
export function inspectDatabaseFile(file: string): DatabaseFileState {
  const full = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOOP') return refused('a symbolic link loop');
    if (code === 'ENOTDIR') return inspectMissing(full);
    if (code !== 'ENOENT') return refused(`a path that cannot be inspected (${code}: ${errorMessage(error)})`);
    // A dangling link would have SQLite create its target, somewhere the caller did not name.
    if (fs.lstatSync(full, { throwIfNoEntry: false })?.isSymbolicLink()) {
      return refused(`a dangling symbolic link (to ${fs.readlinkSync(full)})`);
    }
    return inspectMissing(full);
  }
  const kind = kindOf(stat);
  if (kind !== undefined) return refused(kind);
  const real = fs.realpathSync(full);
  if (underPseudoFs(real)) return refused(`a file in ${path.dirname(real)} (a kernel pseudo file system)`);
  if (stat.size === 0) return { kind: 'empty' };
  const header = Buffer.alloc(HEADER_BYTES);
  let read: number;
  try {
    const fd = fs.openSync(full, 'r');
    try {
      read = fs.readSync(fd, header, 0, HEADER_BYTES, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    return refused(`a file that cannot be read (${errorCode(error)})`);
  }
  if (read < HEADER_BYTES || !header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    return refused(`a file that is not a SQLite database (${stat.size} bytes starting with ${printable(header.subarray(0, read))})`);
  }
  return inspectSqlite(full, header);
}

/** Throws DatabaseRefusedError unless the path holds (or may become) a sandbox-perf database. */
export function assertOwnDatabasePath(file: string): Exclude<DatabaseFileState, { kind: 'refused' }> {
  const state = inspectDatabaseFile(file);
  if (state.kind === 'refused') throw new DatabaseRefusedError(path.resolve(file), state.found);
  return state;
}

/** True when `target` is the database file or one of its sidecars (-wal, -shm, -journal), by name or by inode. */
export function isDatabaseFile(target: string, dbPath: string): boolean {
  const t = path.resolve(target);
  const db = path.resolve(dbPath);
  const names = [db, `${db}-wal`, `${db}-shm`, `${db}-journal`];
  if (names.includes(t)) return true;
  const st = statOrUndefined(t);
  if (!st) return false;
  return names.some((name) => {
    const other = statOrUndefined(name);
    return other !== undefined && other.ino === st.ino && other.dev === st.dev;
  });
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}
