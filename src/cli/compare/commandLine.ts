/**
 * compare's hyperfine flags read into what the comparison needs: the shell (`-N`, `--shell
 * [SHELL]`), the exit codes to ignore (`-i[=CODES]`), and the workloads, from the commands in
 * hyperfine's form (each one quoted argument) or after `--`, with `-n`, `-P`/`-D`, `-L`.
 */
import { flagExpectation } from '../../validation';
import type { Hooks } from '../../compare/hooks';
import { splitWords } from '../../shellWords';
import { requireCommand, type ParsedArgs } from '../args';
import { UsageError } from '../command';
import { parameterList, parameterScan } from './parameters';
import { expandWorkloads, type ShellChoice, type WorkloadPlan } from './workloads';

/** The shell a bare `--shell` or `--shell default` means: in the sandbox, as before hyperfine's form existed. */
export const DEFAULT_SHELL = '/bin/sh';

/** `-N` or `--shell=none`: no shell (sandbox-perf's default too); `--shell [SHELL]`: that shell, split into words (`bash --norc`). */
export function shellChoice(flags: ParsedArgs['flags']): ShellChoice {
  const shell = flags.shell as string | undefined;
  const none = flags['no-shell'] === true;
  if (none && shell !== undefined && shell !== 'none') {
    throw new UsageError(`-N (--shell=none) and --shell ${JSON.stringify(shell)} contradict each other; keep one`);
  }
  if (none || shell === 'none') return { argv: null, explicit: true };
  if (shell === undefined) return { argv: null, explicit: false };
  if (shell === 'default') return { argv: [DEFAULT_SHELL], explicit: true };
  let split;
  try {
    split = splitWords(shell);
  } catch (error) {
    throw new UsageError(`${flagExpectation('--shell', `a shell's command line`, shell)}: ${(error as Error).message} (e.g. --shell bash)`);
  }
  if (split.words.length === 0 || split.words[0] === '') {
    throw new UsageError(`${flagExpectation('--shell', `a shell's command line`, shell)} (e.g. --shell bash)`);
  }
  // `--shell 'a && b' 'c'` takes the first command as the shell (hyperfine does too): no shell's own command line needs shell syntax.
  if (split.shellSyntax !== null) {
    throw new UsageError(
      `${flagExpectation('--shell', `a shell's command line`, shell)}, which reads as a command ('${split.shellSyntax}'): ` +
        `name the shell first (--shell bash 'CMD') or write --shell=default 'CMD'`,
    );
  }
  return { argv: split.words, explicit: true };
}

/** `-i` / `--ignore-failure[=all-non-zero]`: every exit code; `--ignore-failure=1,2`: those; absent: none. */
export function ignoredExitCodes(flags: ParsedArgs['flags']): 'all' | number[] | undefined {
  const raw = flags['ignore-failure'] as string | undefined;
  if (raw === undefined) return undefined;
  if (raw === 'all-non-zero' || raw === '') return 'all';
  const codes = raw.split(',').map((c) => c.trim());
  if (!codes.every((c) => /^-?\d{1,10}$/.test(c))) {
    throw new UsageError(
      `${flagExpectation('--ignore-failure', `'all-non-zero' or comma-separated exit codes`, raw)} (e.g. --ignore-failure=1,2 or -i)`,
    );
  }
  return codes.map(Number);
}

/** The hooks as given (--setup, --prepare, --cleanup); the workloads substitute their parameters. */
function hooksFrom(flags: ParsedArgs['flags']): Hooks {
  return {
    ...(flags.setup === undefined ? {} : { setup: flags.setup as string }),
    ...(flags.prepare === undefined ? {} : { prepare: flags.prepare as string }),
    ...(flags.cleanup === undefined ? {} : { cleanup: flags.cleanup as string }),
  };
}

export interface CompareWorkloads {
  plans: WorkloadPlan[];
  /** Several commands or parameters: the exports then hold a list of comparisons, even for one value. */
  several: boolean;
}

export function compareWorkloads(parsed: ParsedArgs, cwd: string): CompareWorkloads {
  const { flags, positionals, command } = parsed;
  const shell = shellChoice(flags);
  const lines = positionals.length > 0 ? positionals : null;
  if (lines && command !== null) {
    throw new UsageError(
      `give the commands either as quoted arguments (hyperfine's form) or one after '--', not both; got ${JSON.stringify(lines[0])} and '-- ${command.join(' ')}'`,
    );
  }
  let argv: string[] | null = null;
  if (!lines) {
    if (command === null) {
      throw new UsageError(
        `'compare' needs the commands to run: each as one quoted argument (sandbox-perf compare 'node -e 0' 'node -e 1') or one after '--' (sandbox-perf compare -- node -e 0)`,
      );
    }
    if (shell.argv === null) argv = requireCommand(parsed, 'compare', cwd);
    else {
      // With a shell the words after '--' are one shell line: checked as the argv they become.
      requireCommand(command.length > 0 ? { ...parsed, command: [...shell.argv, '-c', command.join(' ')] } : parsed, 'compare', cwd);
      argv = command;
    }
  }
  const scanWords = flags['parameter-scan'] as string[] | undefined;
  const listWords = (flags['parameter-list'] as string[][] | undefined) ?? [];
  const step = flags['parameter-step-size'] as string | undefined;
  if (scanWords && listWords.length > 0) {
    throw new UsageError(
      '-P (--parameter-scan) and -L (--parameter-list) cannot be combined (as in hyperfine): list the values with -L instead',
    );
  }
  if (step !== undefined && !scanWords)
    throw new UsageError(`-D (--parameter-step-size) steps a scan: it needs -P VAR MIN MAX (e.g. -P delay 0.3 0.7 -D ${step})`);
  const scan = scanWords ? parameterScan(scanWords, step) : null;
  const lists = listWords.map(parameterList);
  const plans = expandWorkloads({
    lines,
    argv,
    shell,
    names: (flags['command-name'] as string[] | undefined) ?? [],
    scan,
    lists,
    hooks: hooksFrom(flags),
  });
  return { plans, several: plans.length > 1 || scan !== null || lists.length > 0 };
}
