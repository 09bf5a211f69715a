/**
 * From compare's command line to the workloads it compares, as hyperfine expands its own: several
 * commands, each one quoted argument, and parameters (`-P`, `-L`) whose values replace `{VAR}` in
 * the commands, the names (`-n`) and the hooks. Each workload is compared across the backends on
 * its own. The order is hyperfine's: with `-P` the value changes slowest, with `-L` the command
 * changes fastest, then the first parameter, and so on.
 */
import type { Hooks } from '../../compare/hooks';
import { splitWords } from '../../shellWords';
import { UsageError } from '../command';
import { describeArgument, flagExpectation } from '../../validation';
import { CONTROL_CHARS } from '../../runners/workload';
import { substitute, type Parameter } from './parameters';

/** How a command is run: through a shell (its argv, `-c` and the line follow), or as words (`-N`). */
export interface ShellChoice {
  argv: string[] | null;
  /** False when nothing was said (no shell is sandbox-perf's default): shell syntax in a quoted command is then refused. */
  explicit: boolean;
}

export interface WorkloadInput {
  /** Commands in hyperfine's form, each one string, or null. */
  lines: string[] | null;
  /** The command after `--`, or null. */
  argv: string[] | null;
  shell: ShellChoice;
  /** `-n`, in order. */
  names: string[];
  /** `-P` (one at most), or null. */
  scan: Parameter | null;
  /** `-L`, in order. */
  lists: Parameter[];
  hooks: Hooks;
}

export interface WorkloadPlan {
  /** `-n NAME` with its parameters replaced, or the command as typed in hyperfine's form; null: the argv after `--` names it. */
  name: string | null;
  command: string[];
  /** Parameter name → value, in the order the parameters were given. */
  parameters: Record<string, string>;
  hooks: Hooks;
}

type Values = [string, string][];

function argvOf(line: string, shell: ShellChoice): string[] {
  if (shell.argv) return [...shell.argv, '-c', line];
  let split;
  try {
    split = splitWords(line);
  } catch (error) {
    throw new UsageError(`the command ${JSON.stringify(line)} cannot be split into words: ${(error as Error).message}`);
  }
  if (split.words.length === 0 || split.words[0] === '') throw new UsageError(`the command ${JSON.stringify(line)} is empty`);
  if (split.shellSyntax !== null && !shell.explicit) {
    throw new UsageError(
      `the command ${JSON.stringify(line)} uses shell syntax ('${split.shellSyntax}'), and commands run without a shell here ` +
        `(hyperfine's -N is sandbox-perf's default): add --shell to run it through /bin/sh -c, or -N to run its words as they are`,
    );
  }
  return split.words;
}

/** The name given for benchmark `index` of `count`: hyperfine takes one name for all, or one per benchmark. */
function nameFor(names: readonly string[], index: number): string | undefined {
  return names.length === 1 ? names[0] : names[index];
}

function hooksWith(hooks: Hooks, values: Values): Hooks {
  const out: Hooks = {};
  for (const hook of ['setup', 'prepare', 'cleanup'] as const) {
    const script = hooks[hook];
    if (script !== undefined) out[hook] = substitute(script, values);
  }
  return out;
}

/** Every combination of the lists, the first list changing fastest (hyperfine's order). */
function combinations(lists: readonly Parameter[]): Values[] {
  let all: Values[] = [[]];
  for (const list of lists) all = list.values.flatMap((value) => all.map((values): Values => [...values, [list.name, value]]));
  return all;
}

export function expandWorkloads(input: WorkloadInput): WorkloadPlan[] {
  const { lines, argv, shell, names, scan, lists } = input;
  const seen = new Set<string>();
  for (const p of [...(scan ? [scan] : []), ...lists]) {
    if (seen.has(p.name))
      throw new UsageError(`Expected \`--parameter-list\` to name each parameter once, got ${describeArgument(p.name)} twice`);
    seen.add(p.name);
  }
  // A name lands in every export and in the history: as `run --workload`, no control characters.
  const bad = names.find((name) => CONTROL_CHARS.test(name));
  if (bad !== undefined) throw new UsageError(flagExpectation('--command-name', 'a name without control characters', bad));
  const commands = lines ?? [argv];
  // Parameter values, in the order the benchmarks run: -P's value outermost, -L's with the command innermost.
  const order: { command: number; values: Values }[] = scan
    ? scan.values.flatMap((value) => commands.map((_, command) => ({ command, values: [[scan.name, value]] as Values })))
    : combinations(lists).flatMap((values) => commands.map((_, command) => ({ command, values })));
  const parametrized = scan !== null || lists.length > 0;
  if (!parametrized && names.length > commands.length) {
    throw new UsageError(`Expected \`--command-name\` at most once per command (${commands.length}), got ${names.length} names`);
  }
  if (parametrized && names.length > 1 && names.length !== order.length) {
    throw new UsageError(
      `Expected \`--command-name\` once for all or exactly once per benchmark (${order.length}), got ${names.length} names`,
    );
  }
  return order.map(({ command, values }, i) => {
    const given = parametrized ? nameFor(names, i) : names[command];
    const line = lines ? substitute(lines[command] as string, values) : null;
    let run: string[];
    if (line !== null) run = argvOf(line, shell);
    else {
      const words = (argv ?? []).map((word) => substitute(word, values));
      run = shell.argv ? [...shell.argv, '-c', words.join(' ')] : words;
    }
    return {
      name: given !== undefined ? substitute(given, values) : line,
      command: run,
      parameters: Object.fromEntries(values),
      hooks: hooksWith(input.hooks, values),
    };
  });
}
