import { UsageError } from './command';

/** How one flag is read. */
export interface FlagSpec {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'list';
  /** For integers and numbers. */
  min?: number;
  /** Shown in errors, e.g. `MS`. */
  value?: string;
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
      const n = raw.trim() === '' ? Number.NaN : Number(raw);
      const min = spec.min ?? 0;
      const okType = spec.type === 'integer' ? Number.isInteger(n) : Number.isFinite(n);
      if (!okType || n < min) {
        throw new UsageError(
          `--${name} expects ${spec.type === 'integer' ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(raw)} (e.g. --${name} ${Math.max(min, 1) === min ? min : Math.max(min, 1)})`,
        );
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

/** The sandboxed command after `--`; usage errors for a missing `--` or an empty command. */
export function requireCommand(parsed: ParsedArgs, commandName: string): string[] {
  if (parsed.command === null) {
    throw new UsageError(`'${commandName}' needs the command to run after '--', e.g. sandbox-perf ${commandName} -- node -e 0`);
  }
  if (parsed.command.length === 0 || parsed.command[0] === '') {
    throw new UsageError(`the command after '--' is empty; e.g. sandbox-perf ${commandName} -- node -e 0`);
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(`unexpected '${parsed.positionals[0]}' before '--' (put the command after '--')`);
  }
  return parsed.command;
}
