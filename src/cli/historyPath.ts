import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../log';
import { describeValue } from '../validation';

/** Where the history path came from, named in messages. */
export type HistorySource = '--db' | 'SANDBOX_PERF_DB' | 'the default history';

/** Pseudo file systems: their files are not places for a history (`/proc/self/mem` is a regular file). */
const PSEUDO = ['/proc', '/sys', '/dev'];

function kindOf(stats: fs.Stats): string | null {
  if (stats.isFile()) return null;
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The path with the symbolic links of its longest existing prefix resolved. */
function resolvedPrefix(file: string): string {
  let existing = file;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(existing), ...rest.reverse());
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return file;
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}

/**
 * What makes `file` unusable as a history without opening it, or null when it may be one (a
 * regular file, or a new path whose nearest existing ancestor is a directory). Opening a FIFO
 * blocks and a device or `/proc` file is not ours: they are refused before SQLite sees them.
 */
export function historyPathProblem(file: string): string | null {
  const real = resolvedPrefix(file);
  const pseudo = PSEUDO.find((root) => real === root || real.startsWith(`${root}/`));
  if (pseudo !== undefined) return `a path under ${pseudo}`;
  let stats: fs.Stats;
  try {
    stats = fs.statSync(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOOP') return 'a symbolic link loop (ELOOP)';
    if (code === 'ENAMETOOLONG') return 'a path too long (ENAMETOOLONG)';
    if (code === 'EACCES') return 'a path this user cannot reach (EACCES)';
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return `unreadable (${code})`;
    // A new file: fine if its nearest existing ancestor is a directory that can hold it.
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      const ancestor = fs.statSync(dir, { throwIfNoEntry: false });
      if (ancestor) return ancestor.isDirectory() ? null : `a path under ${dir}, which is ${kindOf(ancestor) ?? 'a file'}`;
      if (path.dirname(dir) === dir) return null;
    }
  }
  const kind = kindOf(stats);
  return kind === null ? null : kind;
}

/** The one message shape for a history path that cannot be used. */
export function historyPathMessage(source: HistorySource, file: string, problem: string): string {
  return `Expected ${source === 'the default history' ? source : `\`${source}\``} to be a SQLite history file or a path where one can be created, got ${describeValue(file).replace(/ \(string\)$/, '')} (${problem})`;
}
