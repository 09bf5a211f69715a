import fs from 'node:fs';
import path from 'node:path';
import { openOutput, outputTargetProblem } from '../state/outputTarget';
import { describeValue } from '../validation';
import { UsageError } from './command';

/*
 * Export files of `compare` (--export-json, -csv, -markdown, -hyperfine): checked before any run,
 * so a typo does not cost a whole comparison and a path that is the history (or any SQLite
 * database) is refused with nothing run and nothing written; checked again on the descriptor the
 * write opens, since the runs in between may have replaced the path.
 */

function refusal(flag: string, file: string, problem: string, when: string): UsageError {
  return new UsageError(
    `Expected \`--${flag}\` to be a file that is not the history, one of its -wal, -shm or -journal files, or any SQLite database, got ${describeValue(file).replace(/ \(string\)$/, '')} (${problem}); it was left untouched${when}`,
  );
}

/** The export's absolute path; a UsageError when its folder is missing or it may not be written next to `history`. */
export function assertExportTarget(flag: string, file: string, cwd: string, history: string): string {
  const full = path.resolve(cwd, file);
  const dir = path.dirname(full);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`--${flag}: the folder ${dir} does not exist (create it first, or choose another path)`);
  }
  if (fs.statSync(full, { throwIfNoEntry: false })?.isDirectory() === true) {
    throw new UsageError(`--${flag}: ${full} is a directory; give a file name`);
  }
  const problem = outputTargetProblem(full, history);
  if (problem !== null) throw refusal(flag, full, problem, ' and nothing was run');
  return full;
}

/** Writes an export whose path passed assertExportTarget, refusing whatever the path has become meanwhile. */
export function writeExport(flag: string, file: string, history: string, text: string): void {
  const opened = openOutput(file, history);
  if ('problem' in opened) throw refusal(flag, file, opened.problem, ' (the path changed during the runs)');
  try {
    if (opened.regular) fs.ftruncateSync(opened.fd, 0);
    const bytes = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < bytes.length;) offset += fs.writeSync(opened.fd, bytes, offset, bytes.length - offset, null);
  } finally {
    fs.closeSync(opened.fd);
  }
}
