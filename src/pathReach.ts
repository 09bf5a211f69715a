import fs from 'node:fs';
import path from 'node:path';

/*
 * Whether a path can be reached from a directory by any name: a run that can write the working
 * directory can write whatever lies in it by any of these names, so what the tool keeps for itself
 * (the history, a sandbox's root, an overlay's layers) must lie in it by none.
 */

/** Symbolic links followed before a path counts as a loop (the kernel's own limit). */
const MAX_LINKS = 40;

/**
 * The absolute path `file` names once every symbolic link is followed, also when it (or a
 * directory above it) does not exist yet: a dangling link points where a write would create it.
 */
export function canonicalPath(file: string, hops = 0): string {
  const full = path.resolve(file);
  try {
    return fs.realpathSync(full);
  } catch {
    // Missing, or under a dangling link: resolved below, component by component.
  }
  let link: string | undefined;
  try {
    link = fs.lstatSync(full).isSymbolicLink() ? fs.readlinkSync(full) : undefined;
  } catch {
    link = undefined;
  }
  if (link !== undefined && hops < MAX_LINKS) return canonicalPath(path.resolve(path.dirname(full), link), hops + 1);
  const parent = path.dirname(full);
  return parent === full ? full : path.join(canonicalPath(parent, hops), path.basename(full));
}

/** `file` is `dir` or lies below it, by these spellings (no file system is read). */
export function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function statOf(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** One line of mountinfo: the file system (`major:minor`), the path within it that is mounted, and where. */
export interface MountEntry {
  majorMinor: string;
  root: string;
  mountPoint: string;
}

/** This process's mount namespace, in mountinfo's order (parents first); empty where /proc cannot be read. */
export function mountTable(): MountEntry[] {
  let info: string;
  try {
    info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return info.split('\n').flatMap((line) => {
    const [, , majorMinor, root, mountPoint] = line.split(' ');
    if (majorMinor === undefined || root === undefined || mountPoint === undefined) return [];
    return [{ majorMinor, root: unescapeMountField(root), mountPoint: unescapeMountField(mountPoint) }];
  });
}

/** `major:minor` of a device number, as mountinfo writes it (Linux's encoding, as glibc's major()/minor()). */
function majorMinor(dev: number): string {
  const big = BigInt(dev);
  const major = ((big >> 8n) & 0xfffn) | ((big >> 32n) & ~0xfffn);
  const minor = (big & 0xffn) | ((big >> 12n) & ~0xffn);
  return `${major}:${minor}`;
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

/**
 * Where `target` shows inside `dir` through a mount whose mount point lies in `dir` (a folder above
 * it bound there, or the file bound alone: `mount --bind state.db ./hist.db`), or null. `target`
 * need not exist: its nearest existing folder is looked for, and the rest of its path appended.
 * Found as a path within its file system (its own mount's root, plus the rest of its path), then
 * as a mount in `dir` of the same file system whose root holds that path. Null where /proc cannot
 * be read.
 */
export function mountedInside(target: string, dir: string, table: readonly MountEntry[] = mountTable()): string | null {
  const real = canonicalPath(dir);
  const inDir = table.filter((m) => isInside(m.mountPoint, real));
  if (inDir.length === 0) return null;
  let existing = canonicalPath(target);
  let rest = '';
  let stat = statOf(existing);
  while (stat === undefined && path.dirname(existing) !== existing) {
    rest = rest === '' ? path.basename(existing) : path.join(path.basename(existing), rest);
    existing = path.dirname(existing);
    stat = statOf(existing);
  }
  if (stat === undefined) return null;
  const device = majorMinor(stat.dev);
  const own = ownMount(table, existing, device);
  if (own === undefined) return null;
  const inFileSystem = path.join(own.root, path.relative(own.mountPoint, existing));
  for (const m of inDir) {
    if (m.majorMinor === device && m !== own && isInside(inFileSystem, m.root)) {
      return path.join(m.mountPoint, path.relative(m.root, inFileSystem), rest);
    }
  }
  return null;
}

/**
 * Whether `target` lies in the directory `dir` or below it by any name: as written, after
 * following symbolic links (also for a path not created yet), through another mount of the same
 * directory (`target` or a folder above it is `dir` by device and inode: `dir` is a bind mount of
 * one of them), or through a mount inside `dir` that shows it (mountedInside; `table`, read once
 * by a caller that asks about several paths). Pure apart from reading the file system; nothing is
 * created.
 */
export function insideByAnyName(target: string, dir: string, table?: readonly MountEntry[]): boolean {
  const written = path.resolve(target);
  const real = canonicalPath(dir);
  if (isInside(written, path.resolve(dir)) || isInside(written, real) || isInside(canonicalPath(written), real)) return true;
  const home = statOf(dir);
  if (home === undefined) return false;
  for (let folder = canonicalPath(written); ; folder = path.dirname(folder)) {
    const stat = statOf(folder);
    if (stat !== undefined && stat.dev === home.dev && stat.ino === home.ino) return true;
    if (folder === path.dirname(folder)) break;
  }
  return mountedInside(target, dir, table ?? mountTable()) !== null;
}

/** The deepest existing folder or file of `file` (symbolic links followed) and the components below it that do not exist yet. */
function nearestExisting(file: string): { stat: fs.Stats; rest: string[] } | null {
  let current = canonicalPath(file);
  const rest: string[] = [];
  for (;;) {
    const stat = statOf(current);
    if (stat !== undefined) return { stat, rest };
    const parent = path.dirname(current);
    if (parent === current) return null;
    rest.unshift(path.basename(current));
    current = parent;
  }
}

/**
 * Whether writing `place` (a path a copy may create or replace, as `--keep` does) would write
 * `target` or something above it: `target` lies in `place` by any name (insideByAnyName), or the
 * two name the same entry through another name of a folder above both (`place` need not exist:
 * `out/state.db-wal`, `out` a bind mount of the folder that holds `target`).
 */
export function writesOver(place: string, target: string): boolean {
  if (insideByAnyName(target, place)) return true;
  const held = nearestExisting(place);
  if (held === null) return false;
  let current = canonicalPath(target);
  let rest: string[] = [];
  for (;;) {
    const stat = statOf(current);
    if (stat !== undefined && stat.dev === held.stat.dev && stat.ino === held.stat.ino) {
      if (held.rest.length <= rest.length && held.rest.every((component, i) => rest[i] === component)) return true;
    }
    const parent = path.dirname(current);
    if (parent === current) return false;
    rest = [path.basename(current), ...rest];
    current = parent;
  }
}
