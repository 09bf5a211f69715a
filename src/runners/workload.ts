import { createHash } from 'node:crypto';
import { expectation, ValidationError } from '../validation';

/** What a run is recorded under: a stable key, and a short label for people. */
export interface Workload {
  /** Stored in `sandbox_run_overhead.workload`: the caller's name, or `cmd-` + 12 hex digits. */
  key: string;
  /** Shown by report, the dashboard and the exporters, e.g. `sleep 0.2`. */
  label: string;
}

export const MAX_WORKLOAD_LENGTH = 200;
/** Characters of a derived label; longer command lines end with `…`. */
const LABEL_LENGTH = 40;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- derived labels replace them instead
const CONTROL_CHARS_GLOBAL = /[\u0000-\u001f\u007f]/g;

/** A caller's workload name: non-empty, at most 200 characters, printable (it becomes a label value). */
export function assertWorkloadName(value: unknown, name = 'workload'): asserts value is string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_WORKLOAD_LENGTH || CONTROL_CHARS.test(value)) {
    throw new ValidationError(
      expectation(name, `a non-empty string of at most ${MAX_WORKLOAD_LENGTH} characters without control characters`, value),
    );
  }
}

/** A name given by the caller is both key and label. */
export function namedWorkload(name: string): Workload {
  assertWorkloadName(name);
  return { key: name, label: name };
}

/**
 * The workload of a command line run in `cwd`: the same argv in the same directory always gets the
 * same key (SHA-256 of both, NUL-separated so `['a b']` and `['a', 'b']` differ), whatever the
 * backend, so backends compare within one workload. The label is the command line, shortened.
 */
export function commandWorkload(command: readonly string[], cwd: string): Workload {
  const hash = createHash('sha256');
  hash.update(cwd);
  for (const word of command) hash.update('\0').update(word);
  const key = `cmd-${hash.digest('hex').slice(0, 12)}`;
  const line = command.join(' ').replace(CONTROL_CHARS_GLOBAL, '?');
  const label = line.length > LABEL_LENGTH ? `${line.slice(0, LABEL_LENGTH - 1)}…` : line;
  return { key, label };
}
