import fs from 'node:fs';
import { canonicalPath } from '../pathReach';
import { APPLICATION_ID } from './ownership';

export { canonicalPath };

/*
 * Output files (compare's exports) must never land on a history (issue 23, finding 5: an export
 * to the database's own path turned it into Markdown, and the next open moved the history aside).
 * A path is refused when it names the history or one of its sidecars, through any spelling
 * (symbolic links, `..`), when it is the same file under another name (hard link, bind mount: same
 * device and inode), or when it holds any SQLite database or a sidecar of one.
 */

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const SIDECARS = ['-wal', '-shm', '-journal'] as const;

/** The history and the files SQLite keeps beside it, with their names for messages. */
function historyFiles(history: string): { file: string; what: string }[] {
  return [
    { file: history, what: 'the history file' },
    ...SIDECARS.map((s) => ({ file: `${history}${s}`, what: `the history's ${s} file` })),
  ];
}

function statOf(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

function sameFile(a: fs.Stats, b: fs.Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** What the first bytes of a file say, or null when it is not a SQLite database. */
function sqliteKind(header: Buffer): string | null {
  if (header.length < SQLITE_MAGIC.length || !header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) return null;
  return header.length >= 72 && header.readUInt32BE(68) === APPLICATION_ID ? 'a sandbox-perf history' : 'a SQLite database';
}

function headerOf(file: string): Buffer {
  const header = Buffer.alloc(100);
  let fd: number;
  try {
    // Non-blocking: a FIFO (a `-wal` name's database part may be one) must not hang the check.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch {
    return Buffer.alloc(0);
  }
  try {
    return header.subarray(0, fs.readSync(fd, header, 0, header.length, 0));
  } catch {
    return Buffer.alloc(0);
  } finally {
    fs.closeSync(fd);
  }
}

/** The problem with a canonical path: the history or a sidecar by name, or a sidecar of another database. */
function nameProblem(canonical: string, history: string): string | null {
  for (const { file, what } of historyFiles(history)) {
    if (canonicalPath(file) === canonical) return what;
  }
  for (const sidecar of SIDECARS) {
    if (!canonical.endsWith(sidecar)) continue;
    const kind = sqliteKind(headerOf(canonical.slice(0, -sidecar.length)));
    if (kind !== null) return `the ${sidecar} file of ${kind}`;
  }
  return null;
}

/** The problem with an existing file: the history under another name, or a database itself. */
function fileProblem(stat: fs.Stats, header: Buffer, history: string): string | null {
  for (const { file, what } of historyFiles(history)) {
    const other = statOf(file);
    if (other !== undefined && sameFile(stat, other)) {
      return `${what} under another name (same device and inode: a symbolic or hard link, or a bind mount)`;
    }
  }
  const kind = stat.isFile() ? sqliteKind(header) : null;
  return kind === null ? null : kind;
}

/**
 * Why an output must not be written at `target` next to the history `history`, or null. Checked
 * before anything runs, and again just before the write (cli/exportFile.ts).
 */
export function outputTargetProblem(target: string, history: string): string | null {
  const canonical = canonicalPath(target);
  const byName = nameProblem(canonical, canonicalPath(history));
  if (byName !== null) return byName;
  const stat = statOf(target);
  return stat === undefined ? null : fileProblem(stat, stat.isFile() ? headerOf(target) : Buffer.alloc(0), history);
}
