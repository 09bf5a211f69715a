import { flagExpectation } from '../../validation';
import { requireCommand, type FlagSpecs, type ParsedArgs } from '../args';
import { backendList, parseBackends } from '../backendsFlag';
import { UsageError } from '../command';
import { parseDuration } from '../since';
import { workdirFrom, WORKDIR_FLAGS, workdirUsage } from '../sandboxFlags';
import {
  CANARY_CANDIDATES,
  DEFAULT_CANARY_EVERY_MS,
  DEFAULT_CANARY_RUNS,
  MIN_CANARY_EVERY_MS,
  type Canary,
} from '../../canary/startCanary';
import type { ServeCanaryOptions } from '../../export/server';

/** What `serve --canary` adds to serve's options, and how they read in --help. */
export const CANARY_USAGE = `Canary (a continuous baseline, recorded in the same history and shown on the dashboard):
  --canary      every --every, run COMMAND --runs times on none and on each --sandbox backend,
                interleaved, record every run under COMMAND's workload (as run and compare do),
                and export per backend the slowdown inside the command (median command time
                against none, with its 95 % interval) as sandbox_canary_ratio at /metrics
  --every D     time between rounds, e.g. 30s, 10m, 1h30m (default ${DEFAULT_CANARY_EVERY_MS / 60_000}m, at least 1s); a round
                still running when the next is due skips that one (counted)
  --sandbox LIST  backends compared with none (default: the ones available here of
                ${backendList(CANARY_CANDIDATES, '                ', 100)})
  --runs N      timed runs per backend and round (default ${DEFAULT_CANARY_RUNS}); one untimed warm-up round first
  ${workdirUsage(16)}
  Each round prints one line: its wall time, the CPU it used, and per backend the ratio and fixed cost.`;

/** The canary's flags, parsed with serve's own by the one argument parser. */
export const CANARY_FLAGS: FlagSpecs = {
  canary: { type: 'boolean' },
  every: { type: 'string', value: 'DURATION' },
  sandbox: { type: 'list', value: 'BACKENDS' },
  runs: { type: 'integer', min: 1, max: 1000, value: 'N' },
  ...WORKDIR_FLAGS,
};

/**
 * The canary startServe runs, read from serve's parsed arguments (the command is the one after
 * `--`), or null without `--canary`. Usage errors for a canary flag without `--canary`, and for
 * `--canary` without a command.
 */
export function canaryOptions(parsed: ParsedArgs, cwd: string): ServeCanaryOptions | null {
  const { flags, command } = parsed;
  if (flags.canary !== true) {
    const stray = Object.keys(flags).find((name) => name in CANARY_FLAGS);
    if (stray !== undefined)
      throw new UsageError(`--${stray} is an option of --canary (e.g. sandbox-perf serve --canary --${stray} … -- node -e 0)`);
    if (command !== null)
      throw new UsageError(`a command after '--' needs --canary, e.g. sandbox-perf serve --canary -- ${command.join(' ') || 'node -e 0'}`);
    return null;
  }
  if (command === null) throw new UsageError(`--canary needs the command to run after '--', e.g. sandbox-perf serve --canary -- node -e 0`);
  const checked = requireCommand({ flags, positionals: [], command }, 'serve --canary', cwd);
  const options: ServeCanaryOptions = { command: checked, sandbox: { cwd, ...workdirFrom(flags) } };
  if (flags.every !== undefined) {
    const raw = flags.every as string;
    const everyMs = parseDuration(raw.trim());
    if (everyMs === null || everyMs < MIN_CANARY_EVERY_MS || everyMs > 2 ** 31 - 1) {
      throw new UsageError(flagExpectation('--every', 'a duration from 1s to 24d like 30s, 10m or 1h30m', raw));
    }
    options.everyMs = everyMs;
  }
  if (flags.sandbox !== undefined) {
    const backends = parseBackends(flags.sandbox).filter((b) => b !== 'none');
    if (backends.length === 0)
      throw new UsageError('--sandbox: name at least one backend besides none (none is always run, as the baseline)');
    options.backends = backends;
  }
  if (flags.runs !== undefined) options.runs = flags.runs as number;
  return options;
}

/** What serve says at start about its canary. */
export function canaryBanner(c: Canary): string {
  const each = c.everyMs % 60_000 === 0 ? `${c.everyMs / 60_000} min` : `${c.everyMs / 1000} s`;
  return `canary: ${c.workload.label} on ${c.backends.join(', ')}, ${c.runs} run(s) each every ${each} (workload ${c.workload.key})`;
}
