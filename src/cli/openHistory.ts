import fs from 'node:fs';
import path from 'node:path';
import { errorCode, errorMessage } from '../log';
import { HistoryReader } from '../state/read/HistoryReader';
import { assertUsableHistory, type HistoryPath } from './database';

/** The history, read-only; a path that cannot be one is refused before SQLite opens it (a FIFO would block). */
export function openHistory(where: HistoryPath): HistoryReader {
  assertUsableHistory(where);
  if (!fs.existsSync(where.file)) {
    throw new Error(
      `no history at ${where.file}: nothing was recorded there yet (record runs with sandbox-perf run or compare, or read another file with --db)`,
    );
  }
  try {
    return new HistoryReader(where.file);
  } catch (error) {
    throw readFailure(where.file, error);
  }
}

/** Errors from SQLite do not name the file: the message does. */
export function readFailure(file: string, error: unknown): Error {
  const message = errorMessage(error);
  if (message.includes(file)) return error instanceof Error ? error : new Error(message);
  const code = errorCode(error);
  let hint = '';
  if (code === 'SQLITE_CANTOPEN' && readOnlyFileSystem(path.dirname(file))) {
    hint =
      ': its file system is read-only and a WAL history needs its -shm file beside it; copy the file somewhere writable and read the copy';
  } else if (code === 'SQLITE_NOTADB') {
    hint = ': it is not a SQLite database';
  }
  return new Error(`Cannot open the history ${file} read-only (${code}: ${message})${hint}`);
}

function readOnlyFileSystem(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return false;
  } catch (error) {
    return errorCode(error) === 'EROFS';
  }
}
