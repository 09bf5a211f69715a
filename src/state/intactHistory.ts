import type * as Database from 'better-sqlite3';
import { errorMessage } from '../log';
import { printable } from '../printable';

/**
 * Refuses a history SQLite finds damaged (`PRAGMA quick_check`: every b-tree's pages, not the
 * indexes' contents; milliseconds for a history of thousands of runs) before a calibration is
 * read from it or written into it. Random bytes over one page left a history that still opened:
 * predict read no calibration from it ("run 'sandbox-perf calibrate' first") and calibrate wrote a
 * new one into it, exit 0, the damage still there (hostile trial 2026-12-07, finding 7). The
 * monitor's writer moves a damaged file aside itself when a write meets the damage (SqliteStore).
 */
export function assertIntactHistory(db: Database.Database, file: string): void {
  let first: string;
  try {
    const rows = db.pragma('quick_check(1)') as { quick_check?: string }[];
    first = rows[0]?.quick_check ?? 'no answer';
  } catch (error) {
    first = errorMessage(error);
  }
  if (first === 'ok') return;
  throw new Error(
    `Expected the history ${file} to be intact, got a damaged file (SQLite's quick_check: ${printable(first)}); nothing was read from it or written to it: restore it from a copy, or move it aside and start a new history`,
  );
}
