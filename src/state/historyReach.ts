import fs from 'node:fs';
import path from 'node:path';
import { canonicalPath } from './outputTarget';

function statOf(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Whether the history `file` (with its -wal, -shm and -journal beside it) lies in the directory
 * `dir` or below it, by any name: as written, after following symbolic links (also for a file not
 * created yet), or through another mount of the same directory (a bind mount: one of the file's
 * folders is `dir` by device and inode). Pure apart from reading the file system; nothing is created.
 */
export function historyInside(file: string, dir: string): boolean {
  const written = path.resolve(file);
  const real = canonicalPath(dir);
  if (isInside(written, path.resolve(dir)) || isInside(written, real) || isInside(canonicalPath(written), real)) return true;
  let target: fs.Stats;
  try {
    target = fs.statSync(dir);
  } catch {
    return false;
  }
  for (let folder = path.dirname(canonicalPath(written)); ; folder = path.dirname(folder)) {
    const stat = statOf(folder);
    if (stat !== undefined && stat.dev === target.dev && stat.ino === target.ino) return true;
    if (folder === path.dirname(folder)) return false;
  }
}

/** The files SQLite keeps beside a history while it is open (or after a crash). */
const COMPANIONS = ['', '-wal', '-shm', '-journal'];

/**
 * The first of the history `file` and its -wal, -shm and -journal that has another name (a hard
 * link: a link count above 1), with that count; null when each that exists has one name. Another
 * name can be anywhere on the file's file system, and finding it means walking every directory
 * there (`find -samefile`), which is unbounded: callers treat such a history as reachable.
 */
export function historyOtherNames(file: string): { file: string; links: number } | null {
  for (const suffix of COMPANIONS) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(`${file}${suffix}`);
    } catch {
      continue;
    }
    if (stat.isFile() && stat.nlink > 1) return { file: `${file}${suffix}`, links: stat.nlink };
  }
  return null;
}
