import fs from 'node:fs';
import path from 'node:path';
import { mountTable, type MountEntry } from '../runners/workdir/mounts';
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
    if (folder === path.dirname(folder)) break;
  }
  return historyMountedInside(file, dir) !== null;
}

/** `major:minor` of a device number, as mountinfo writes it (Linux's encoding, as glibc's major()/minor()). */
function majorMinor(dev: number): string {
  const big = BigInt(dev);
  const major = ((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn);
  const minor = (big & 0xffn) | ((big >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/**
 * Where the history shows inside `dir` through a mount whose mount point lies in `dir`: its folder
 * (or one above) bound there, or the file or a companion bound alone (`mount --bind state.db
 * ./hist.db`, which leaves it one name); null when no mount shows it. Each is found as a path
 * within its file system (its own mount's root plus the rest of its path), then as a mount in `dir`
 * of the same file system whose root holds that path. Where /proc cannot be read, null.
 */
export function historyMountedInside(file: string, dir: string): string | null {
  const table = mountTable();
  const real = canonicalPath(dir);
  const inDir = table.filter((m) => isInside(m.mountPoint, real));
  if (inDir.length === 0) return null;
  const written = canonicalPath(file);
  // The folder first (it shows the history even before the file exists), as the history's own path under it.
  const candidates = [path.dirname(written), ...COMPANIONS.map((suffix) => `${written}${suffix}`)];
  for (const [i, candidate] of candidates.entries()) {
    const stat = statOf(candidate);
    if (stat === undefined) continue;
    const device = majorMinor(stat.dev);
    const own = ownMount(table, candidate, device);
    if (own === undefined) continue;
    const inFileSystem = path.join(own.root, path.relative(own.mountPoint, candidate));
    for (const m of inDir) {
      if (m.majorMinor === device && m !== own && isInside(inFileSystem, m.root)) {
        const shown = path.join(m.mountPoint, path.relative(m.root, inFileSystem));
        return i === 0 ? path.join(shown, path.basename(written)) : shown;
      }
    }
  }
  return null;
}

/** The mount `file` is reached through: the deepest mount point above it of its file system (a later mount over an equal point wins). */
function ownMount(table: readonly MountEntry[], file: string, device: string): MountEntry | undefined {
  let found: MountEntry | undefined;
  for (const m of table) {
    if (m.majorMinor !== device || !isInside(file, m.mountPoint)) continue;
    if (found === undefined || m.mountPoint.length >= found.mountPoint.length) found = m;
  }
  return found;
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
