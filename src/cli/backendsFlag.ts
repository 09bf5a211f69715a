import type { BackendName } from '../runners/backends';
import { BACKEND_NAMES } from '../runners/backendNames';
import { UsageError } from './command';
import { describeArgument, flagExpectation } from '../validation';

export function parseBackends(value: unknown, flag = 'sandbox'): BackendName[] {
  const list = Array.isArray(value) ? (value as string[]) : [String(value)];
  for (const name of list) {
    if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(flagExpectation(`--${flag}`, `backends among ${BACKEND_NAMES.join(', ')}`, name));
    }
  }
  const unique = [...new Set(list)] as BackendName[];
  if (unique.length !== list.length)
    throw new UsageError(`Expected \`--${flag}\` to name each backend once, got ${describeArgument(list.join(','))}`);
  return unique;
}

/**
 * Backend names for a help text, from the registry (runners/backends.ts): comma-separated,
 * continued on lines that start with `indent` when a line would pass `width` columns.
 */
export function backendList(names: readonly string[], indent: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const [i, name] of names.entries()) {
    const word = i < names.length - 1 ? `${name},` : name;
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}
