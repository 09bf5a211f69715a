import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './command';

/** setTimeout's longest delay: the largest --timeout. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** How one flag is read. */
export interface FlagSpec {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'list';
  /** For integers and numbers. */
  min?: number;
  /** For integers and numbers. @default Number.MAX_SAFE_INTEGER */
  max?: number;
  /** Shown in errors, e.g. `MS`. */
  value?: string;
  /** A one-letter alias, as hyperfine has them: `-r 5`, `-r5`. */
  short?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValue = string | number | boolean | string[];

export interface ParsedArgs {
  flags: Record<string, FlagValue>;
  /** Words before `--` that are not flags. */
  positionals: string[];
  /** Everything after `--`, or null when there was no `--`. */
  command: string[] | null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/** The known flag within two edits of a mistyped one, for "did you mean". */
function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const distance = editDistance(name, k);
    if (distance < bestDistance) [best, bestDistance] = [k, distance];
  }
  return best;
}

function parseValue(name: string, spec: FlagSpec, raw: string): FlagValue {
  const what = spec.value ?? 'VALUE';
  switch (spec.type) {
    case 'integer':
    case 'number': {
      // Decimal digits only: Number() would also take 0x2, 1e3, ' 7' and 99999999999999999999.
      const decimal = spec.type === 'integer' ? /^[0-9]+$/ : /^[0-9]+(\.[0-9]+)?$/;
      const n = decimal.test(raw) ? Number(raw) : Number.NaN;
      const min = spec.min ?? 0;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (!(n >= min && n <= max)) {
        const kind = spec.type === 'integer' ? 'a decimal integer' : 'a decimal number';
        const range = spec.max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
        throw new UsageError(`--${name} expects ${kind} ${range}, got ${JSON.stringify(raw)} (e.g. --${name} ${Math.max(min, 1)})`);
      }
      return n;
    }
    case 'list': {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (items.length === 0) throw new UsageError(`--${name} expects a comma-separated list of ${what}, got ${JSON.stringify(raw)}`);
      return items;
    }
    default:
      if (raw === '') throw new UsageError(`--${name} expects ${what}, got an empty value`);
      return raw;
  }
}

/**
 * Parses `--flag value`, `--flag=value`, boolean `--flag`, and a `--` after which every word
 * belongs to the sandboxed command. Unknown flags are usage errors naming the flag and `--help`.
 */
export function parseArgs(argv: readonly string[], specs: FlagSpecs, commandName: string): ParsedArgs {
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  let command: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') {
      command = argv.slice(i + 1);
      break;
    }
    // After a word that is not a flag, the rest is not parsed as flags: `run node -e 0` is a
    // forgotten `--`, reported as such rather than as an unknown `-e`.
    if (positionals.length > 0) {
      positionals.push(word);
      continue;
    }
    if (/^-[A-Za-z]/.test(word)) {
      const letter = word[1] as string;
      const entry = Object.entries(specs).find(([, spec]) => spec.short === letter);
      if (entry) {
        const [name, spec] = entry;
        if (spec.type === 'boolean') {
          if (word.length > 2) throw new UsageError(`-${letter} (--${name}) takes no value`);
          flags[name] = true;
          continue;
        }
        let raw = word.slice(2);
        if (raw === '') {
          const next = argv[i + 1];
          if (next === undefined || next === '--') throw new UsageError(`-${letter} (--${name}) needs a value (${spec.value ?? 'VALUE'})`);
          raw = next;
          i++;
        }
        flags[name] = parseValue(name, spec, raw);
        continue;
      }
    }
    if (!word.startsWith('--') || word === '-') {
      if (word.startsWith('-') && word !== '-') {
        throw new UsageError(`unknown option '${word}' for '${commandName}' (see: sandbox-perf ${commandName} --help)`);
      }
      positionals.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = word.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) {
      const hint = closest(name, Object.keys(specs));
      throw new UsageError(
        `unknown option '--${name}' for '${commandName}'${hint ? ` (did you mean --${hint}?)` : ''} (see: sandbox-perf ${commandName} --help)`,
      );
    }
    if (spec.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = word.slice(eq + 1);
    else {
      raw = argv[i + 1];
      if (raw === undefined || raw === '--') throw new UsageError(`--${name} needs a value (${spec.value ?? 'VALUE'})`);
      i++;
    }
    flags[name] = parseValue(name, spec, raw);
  }
  return { flags, positionals, command };
}

/**
 * The sandboxed command after `--`; usage errors for a missing `--`, an empty command, and a
 * whole command line quoted as one word (`-- 'node -e 0'`: argv is not parsed by a shell).
 */
export function requireCommand(parsed: ParsedArgs, commandName: string, cwd = process.cwd()): string[] {
  if (parsed.command === null) {
    throw new UsageError(`'${commandName}' needs the command to run after '--', e.g. sandbox-perf ${commandName} -- node -e 0`);
  }
  if (parsed.command.length === 0 || parsed.command[0] === '') {
    throw new UsageError(`the command after '--' is empty; e.g. sandbox-perf ${commandName} -- node -e 0`);
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(`unexpected '${parsed.positionals[0]}' before '--' (put the command after '--')`);
  }
  const [only] = parsed.command;
  if (parsed.command.length === 1 && only !== undefined && /\s/.test(only.trim()) && !fs.existsSync(path.resolve(cwd, only))) {
    throw new UsageError(
      `the command ${JSON.stringify(only)} is one word with spaces, and no program has that name: ` +
        `split it into words (sandbox-perf ${commandName} -- ${only.trim()}) or run it through a shell (sandbox-perf ${commandName} -- sh -c ${JSON.stringify(only)})`,
    );
  }
  return parsed.command;
}
