import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './command';
import { flagExpectation } from '../validation';

export { MAX_TIMEOUT_MS } from '../runners/options';

/** How one flag is read. */
export interface FlagSpec {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'list' | 'choice';
  /** For integers and numbers. */
  min?: number;
  /** For integers and numbers. @default Number.MAX_SAFE_INTEGER */
  max?: number;
  /** Shown in errors, e.g. `MS`. */
  value?: string;
  /** A one-letter alias, as hyperfine has them: `-r 5`, `-r5`. */
  short?: string;
  /** For 'choice': the values accepted. */
  choices?: readonly string[];
  /** Words the flag takes, as hyperfine's `-P VAR MIN MAX` (3): its value is then those words, taken as they are. */
  arity?: number;
  /** Each use adds to a list, in order (hyperfine's `-n` and `-L` can be given once per command or parameter). */
  repeatable?: boolean;
  /**
   * The value of the flag written without one. The next word is then its value only when it is
   * not an option or `--`; with `equalsOnly`, only `--flag=VALUE` or `-x=VALUE` give a value (hyperfine's
   * `-i[=CODES]`), so the word after it stays a command.
   */
  bare?: string;
  equalsOnly?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValue = string | number | boolean | string[] | string[][];

export interface ParsedArgs {
  flags: Record<string, FlagValue>;
  /** Words before `--` that are not flags. */
  positionals: string[];
  /** Everything after `--`, or null when there was no `--`. */
  command: string[] | null;
}

export interface ParseOptions {
  /**
   * Options may follow positional words, as in `hyperfine 'sleep 1' -r 3` (the positionals are then
   * commands). Without it the first positional ends the options: `run node -e 0` is a forgotten `--`.
   */
  interspersed?: boolean;
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

function parseValue(name: string, spec: FlagSpec, raw: string): string | number | string[] {
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
        // The implicit bound named where a decimal value passes it (--at 1 followed by 30 zeros is not "< 0").
        const range = spec.max === undefined && !(n > max) ? `>= ${min}` : `from ${min} to ${max}`;
        throw new UsageError(`${flagExpectation(`--${name}`, `${kind} ${range}`, raw)} (e.g. --${name} ${Math.max(min, 1)})`);
      }
      return n;
    }
    case 'list': {
      const items = raw.split(',').map((s) => s.trim());
      // An empty item is a typo (`none,,unshare`, a trailing comma), not nothing: refused, as --scale's are.
      if (items.some((item) => item === '')) {
        throw new UsageError(flagExpectation(`--${name}`, `a comma-separated list of ${what} without empty items`, raw));
      }
      return items;
    }
    case 'choice': {
      const choices = spec.choices ?? [];
      if (!choices.includes(raw)) {
        throw new UsageError(`${flagExpectation(`--${name}`, `one of ${choices.join(', ')}`, raw)} (e.g. --${name} ${choices[0] ?? ''})`);
      }
      return raw;
    }
    default:
      if (raw === '') throw new UsageError(`Expected \`--${name}\` to be ${what}, got an empty value`);
      return raw;
  }
}

/** Stores one use of a flag: repeatable flags collect their uses, the others keep the last. */
function store(flags: Record<string, FlagValue>, name: string, spec: FlagSpec, value: FlagValue): void {
  if (!spec.repeatable) {
    flags[name] = value;
    return;
  }
  const list = (flags[name] ?? []) as (string | string[])[];
  list.push(value as string | string[]);
  flags[name] = list as FlagValue;
}

/**
 * Parses `--flag value`, `--flag=value`, boolean `--flag`, short `-r 5` / `-r5`, flags of several
 * words (`-P VAR MIN MAX`), flags whose value may be left out (`--shell`, `-i`), and a `--` after which
 * every word belongs to the sandboxed command. Unknown flags are usage errors naming the flag and `--help`.
 */
export function parseArgs(argv: readonly string[], specs: FlagSpecs, commandName: string, options: ParseOptions = {}): ParsedArgs {
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  let command: string[] | null = null;
  // `compare node -e 0`: the -e belongs to the command, which hyperfine's form wants in one quoted word.
  const commandHint = (): string =>
    options.interspersed === true && positionals.length > 0
      ? `; if it belongs to the command ${JSON.stringify(positionals[positionals.length - 1])}, quote the whole command as one argument or put it after '--'`
      : '';
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') {
      command = argv.slice(i + 1);
      break;
    }
    // After a word that is not a flag, the rest is not parsed as flags: `run node -e 0` is a
    // forgotten `--`, reported as such rather than as an unknown `-e`.
    if (positionals.length > 0 && options.interspersed !== true) {
      positionals.push(word);
      continue;
    }
    let name: string;
    let spec: FlagSpec;
    let shown: string;
    /** The value written in the same word (`-r5`, `--runs=5`, `-i=1,2`), else undefined. */
    let attached: string | undefined;
    const short = /^-[A-Za-z]/.test(word) ? Object.entries(specs).find(([, s]) => s.short === word[1]) : undefined;
    if (short) {
      [name, spec] = short;
      shown = `-${word[1] as string} (--${name})`;
      const rest = word.slice(2);
      if (spec.equalsOnly === true && rest !== '' && !rest.startsWith('=')) {
        throw new UsageError(`${shown} takes its value as -${word[1] as string}=${spec.value ?? 'VALUE'}`);
      }
      // `-r5` holds its value; a flag whose value may be left out takes it as `-i=1,2` (as clap does).
      if (rest !== '') attached = spec.bare !== undefined && rest.startsWith('=') ? rest.slice(1) : rest;
    } else if (!word.startsWith('--') || word === '-') {
      if (word.startsWith('-') && word !== '-') {
        throw new UsageError(`unknown option '${word}' for '${commandName}'${commandHint()} (see: sandbox-perf ${commandName} --help)`);
      }
      positionals.push(word);
      continue;
    } else {
      const eq = word.indexOf('=');
      name = word.slice(2, eq < 0 ? undefined : eq);
      const found = specs[name];
      if (!found) {
        const hint = closest(name, Object.keys(specs));
        throw new UsageError(
          `unknown option '--${name}' for '${commandName}'${hint ? ` (did you mean --${hint}?)` : commandHint()} (see: sandbox-perf ${commandName} --help)`,
        );
      }
      spec = found;
      shown = `--${name}`;
      if (eq >= 0) attached = word.slice(eq + 1);
    }
    if (spec.type === 'boolean') {
      if (attached !== undefined) throw new UsageError(`${shown} takes no value`);
      flags[name] = true;
      continue;
    }
    const arity = spec.arity ?? 1;
    const words: string[] = attached === undefined ? [] : [attached];
    if (spec.bare !== undefined && attached === undefined) {
      const next = argv[i + 1];
      // The next word is the value only when it can be one: not `--`, not an option, and never with equalsOnly.
      if (spec.equalsOnly === true || next === undefined || next === '--' || next.startsWith('-')) {
        store(flags, name, spec, spec.bare);
        continue;
      }
    }
    while (words.length < arity) {
      const next = argv[i + 1];
      if (next === undefined || next === '--') {
        const needs = arity > 1 ? `${arity} values` : 'a value';
        throw new UsageError(`${shown} needs ${needs} (${spec.value ?? 'VALUE'})`);
      }
      // `run --db --sandbox=docker -- …` took `--sandbox=docker` as the history's file name and ran
      // the command unsandboxed (hostile trial 2026-12-07): an option of this command is no value.
      const option = /^--([A-Za-z][\w-]*)(=|$)/.exec(next)?.[1];
      if (option !== undefined && option in specs) {
        throw new UsageError(
          `Expected \`${shown}\` to be ${spec.value ?? 'VALUE'}, got the option ${JSON.stringify(next)} (a value that starts with -- is written ${shown.replace(/^-\w \(|\)$/g, '')}=VALUE)`,
        );
      }
      words.push(next);
      i++;
    }
    store(flags, name, spec, arity > 1 ? words : parseValue(name, spec, words[0] as string));
  }
  return { flags, positionals, command };
}

/**
 * The sandboxed command after `--`; usage errors for a missing `--`, an empty command or program name, and a
 * whole command line quoted as one word (`-- 'node -e 0'`: argv is not parsed by a shell).
 */
export function requireCommand(parsed: ParsedArgs, commandName: string, cwd = process.cwd()): string[] {
  if (parsed.command === null) {
    throw new UsageError(`'${commandName}' needs the command to run after '--', e.g. sandbox-perf ${commandName} -- node -e 0`);
  }
  const [program] = parsed.command;
  if (program === undefined) throw new UsageError(`the command after '--' is empty; e.g. sandbox-perf ${commandName} -- node -e 0`);
  // Spawned, it fails only after the hooks and the profiling run, as "spawn  ENOENT".
  if (program.trim() === '') {
    throw new UsageError(
      `the command after '--' has an empty program name, got ${JSON.stringify(program)}; e.g. sandbox-perf ${commandName} -- node -e 0`,
    );
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
