import fs from 'node:fs';
import { insideByAnyName, mountedInside, mountTable, writesOver } from '../pathReach';

/** The files SQLite keeps beside a history while it is open (or after a crash). */
const COMPANIONS = ['', '-wal', '-shm', '-journal'];

/**
 * Whether the history `file` (with its -wal, -shm and -journal beside it) lies in the directory
 * `dir` or below it, by any name (pathReach.ts's insideByAnyName: as written, after following
 * symbolic links, through a bind mount of the directory elsewhere, or through a mount inside it
 * that shows the history's folder, the file, or a companion bound alone).
 */
export function historyInside(file: string, dir: string): boolean {
  const table = mountTable();
  return COMPANIONS.some((suffix) => insideByAnyName(`${file}${suffix}`, dir, table));
}

/**
 * Whether a copy to `place` (a `--keep` path in the working directory) would write the history or
 * one of its -wal, -shm and -journal, by any name: the file itself, a companion (`--keep
 * .sandbox-perf/state.db-wal` forged rows through the WAL), or a folder above them.
 */
export function historyHeldBy(file: string, place: string): boolean {
  return COMPANIONS.some((suffix) => writesOver(place, `${file}${suffix}`));
}

/**
 * Where a mount whose mount point lies in `dir` shows the history (or a companion bound alone),
 * for the refusal's message; null when none does.
 */
export function historyMountedInside(file: string, dir: string): string | null {
  const table = mountTable();
  for (const suffix of COMPANIONS) {
    const shown = mountedInside(`${file}${suffix}`, dir, table);
    if (shown !== null) return shown;
  }
  return null;
}

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
