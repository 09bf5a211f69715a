import { errorCode } from '../../log';

const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);

/**
 * Errors caused by a row's values rather than by the file: a constraint (NOT NULL on a NaN bound
 * as NULL), a type SQLite cannot bind (better-sqlite3 throws TypeError/RangeError), a value too big.
 */
export function isRowError(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError) return true;
  const code = errorCode(error);
  return code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE';
}

/** True for errors that moving the file aside and starting afresh cures. */
export function isCorruption(code: string): boolean {
  return CORRUPT.has(code);
}
