import fs from 'node:fs';
import path from 'node:path';
import type { ExportFormat } from '../export/comparison/recognise';
import { outputTargetProblem } from '../state/outputTarget';
import { pinFolder, replaceFile, type PinnedFolder } from '../state/replaceFile';
import { flagExpectation } from '../validation';
import { UsageError } from './command';
import { foreignTargetProblem } from './foreignTarget';

/*
 * Export files of `compare` (--export-json, -csv, -markdown, -hyperfine): checked before any run,
 * so a typo does not cost a whole comparison and a path that is the history (or any SQLite
 * database), or any file that is not ours (foreignTarget.ts), is refused with nothing run and
 * nothing written; checked again when written, since the runs in between (a sandboxed command in
 * its working directory) may have replaced the path or a folder above it (replaceFile.ts).
 */

/** An export's path as checked before the runs, with the folder it must still be written into. */
export interface CheckedExport {
  flag: string;
  file: string;
  format: ExportFormat;
  folder: PinnedFolder;
}

const NOT_HISTORY = 'a file that is not the history, one of its -wal, -shm or -journal files, or any SQLite database';

function refusal(flag: string, what: string, file: string, problem: string, when: string): UsageError {
  return new UsageError(`${flagExpectation(`--${flag}`, what, file)} (${problem}); it was left untouched${when}`);
}

function notOurs(format: ExportFormat): string {
  return `a new file, an empty file or an earlier ${format} export (sandbox-perf's or hyperfine's)`;
}

/** The export, checked; a UsageError when its folder is missing or the path may not be written. */
export function assertExportTarget(flag: string, format: ExportFormat, file: string, cwd: string, history: string): CheckedExport {
  const full = path.resolve(cwd, file);
  const dir = path.dirname(full);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`--${flag}: the folder ${dir} does not exist (create it first, or choose another path)`);
  }
  if (fs.statSync(full, { throwIfNoEntry: false })?.isDirectory() === true) {
    throw new UsageError(`--${flag}: ${full} is a directory; give a file name`);
  }
  // The export is a new file beside the old one, renamed over it: the folder must take it. A
  // read-only one was found only after every run, the measurement lost (hostile trial 2026-12-07).
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new UsageError(
      `--${flag}: the folder ${dir} cannot be written (${(error as NodeJS.ErrnoException).code ?? String(error)}), so nothing was run: choose another path`,
    );
  }
  const problem = outputTargetProblem(full, history);
  if (problem !== null) throw refusal(flag, NOT_HISTORY, full, problem, ' and nothing was run');
  const foreign = foreignTargetProblem(full, format);
  if (foreign !== null) throw refusal(flag, notOurs(format), full, foreign, ' and nothing was run');
  return { flag, file: full, format, folder: pinFolder(dir) };
}

/** Writes an export that passed assertExportTarget, refusing whatever the path has become meanwhile. */
export function writeExport(target: CheckedExport, history: string, text: string): void {
  const { flag, file, format } = target;
  let what = 'a file in the folder it was in at the start';
  let problem: string | null;
  try {
    problem = replaceFile(target.folder, path.basename(file), text, (at) => {
      const ofHistory = outputTargetProblem(at, history);
      if (ofHistory !== null) {
        what = NOT_HISTORY;
        return ofHistory;
      }
      what = notOurs(format);
      return foreignTargetProblem(at, format);
    });
  } catch (error) {
    // Named by the path given, not by the pinned folder's /proc/self/fd/N (ENOSPC, EIO, a folder made read-only meanwhile).
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(`--${flag}: writing ${file} failed (${code})`, { cause: error });
  }
  if (problem !== null) throw refusal(flag, what, file, problem, ' (the path changed during the runs)');
}
