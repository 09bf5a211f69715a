import path from 'node:path';
import { assertOneOf, expectation, ValidationError } from '../../validation';

/**
 * How a run sees its working directory:
 * - `rw`: the host's directory, writable: what the run writes lands in the host's files;
 * - `overlay`: a copy-on-write view: writes land in a layer of the run's own, discarded after
 *   the run except the paths named in `keep`, which are copied back;
 * - `ro`: the host's directory, read-only.
 */
export type WorkdirMode = 'rw' | 'overlay' | 'ro';
export const WORKDIR_MODES: readonly WorkdirMode[] = ['rw', 'overlay', 'ro'];
/** Today's behaviour; see "The working directory" in docs/runners.md for why it stays the default. */
export const DEFAULT_WORKDIR: WorkdirMode = 'rw';

/** A kept path: what the caller wrote, and the same split into segments below the working directory. */
export interface KeptPath {
  /** As given (for messages), normalised: `dist`, `out/report.json`, `.` for the whole directory. */
  path: string;
  /** Its segments below the working directory; empty for `.`. */
  segments: readonly string[];
}

export function assertWorkdirMode(value: unknown): asserts value is WorkdirMode {
  assertOneOf('workdir', value, WORKDIR_MODES);
}

const PATH_EXPECTED = 'a path relative to the working directory (no `..`, not absolute, no NUL)';

/**
 * `keep`: an array of paths relative to the working directory, each inside it by its spelling
 * (not absolute, no `..` segment). Symbolic links on the way are checked when the files are
 * copied (see keepOutputs.ts), since the run may create them. Only with `workdir: 'overlay'`.
 */
export function resolveKeep(value: unknown, workdir: WorkdirMode): KeptPath[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ValidationError(expectation('keep', 'an array of paths relative to the working directory', value));
  if (value.length > 0 && workdir !== 'overlay') {
    throw new ValidationError(
      expectation('keep', `empty unless \`workdir\` is 'overlay' (with '${workdir}' there is no layer to copy from)`, value),
    );
  }
  return value.map((raw: unknown, index) => {
    const name = `keep[${index}]`;
    if (typeof raw !== 'string' || raw.length === 0 || raw.includes('\0')) throw new ValidationError(expectation(name, PATH_EXPECTED, raw));
    const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
    if (path.isAbsolute(raw) || segments.includes('..')) throw new ValidationError(expectation(name, PATH_EXPECTED, raw));
    return { path: segments.length === 0 ? '.' : segments.join('/'), segments };
  });
}
