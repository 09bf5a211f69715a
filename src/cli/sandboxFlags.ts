import os from 'node:os';
import { GVISOR_ROOTS, MAX_PIDS_LIMIT, type GvisorRoot } from '../runners/options';
import type { SandboxOptions } from '../runners/types';
import { resolveKeep, WORKDIR_MODES, type WorkdirMode } from '../runners/workdir/workdirOptions';
import { flagExpectation, ValidationError } from '../validation';
import type { FlagValue } from './args';
import { UsageError } from './command';

/** `--workdir` and `--keep`, for every command that runs something (run, compare, demo, serve --canary). */
export const WORKDIR_FLAGS = {
  workdir: { type: 'string', value: 'rw|overlay|ro' },
  keep: { type: 'string', value: 'PATH', repeatable: true },
} as const;

/** The flags `run` and `compare` share for the sandbox: memory, CPU, process and tmpfs limits, network, the working directory's mode. */
export const SANDBOX_FLAGS = {
  memory: { type: 'number', min: 6, value: 'MB' },
  cpus: { type: 'number', min: 0.01, max: os.availableParallelism(), value: 'CPUS' },
  'pids-limit': { type: 'integer', min: 1, max: MAX_PIDS_LIMIT, value: 'N' },
  'tmp-size': { type: 'number', min: 1, value: 'MB' },
  network: { type: 'boolean' },
  'gvisor-root': { type: 'string', value: 'host|image' },
  ...WORKDIR_FLAGS,
} as const;

/**
 * How --workdir and --keep read in a command's --help, their descriptions at `column` (that of the
 * command's other options); the first line goes after the caller's two-space indent.
 */
export function workdirUsage(column: number): string {
  // A flag as long as the column or longer gets its description on the next line (serve's column: `--workdir MODEhow …`).
  const first = (flag: string) => (flag.length < column - 2 ? flag.padEnd(column - 2) : `${flag}\n${' '.repeat(column)}`);
  const item = (flag: string, lines: string[]) =>
    lines.map((line, i) => (i === 0 ? `${first(flag)}${line}` : `${' '.repeat(column)}${line}`)).join('\n');
  return [
    item('--workdir MODE', [
      'how the run sees the working directory: rw (writable: its writes land',
      'in your files, and it can rewrite code this host runs later, such as',
      'node_modules/.bin or .git/hooks), overlay (a copy-on-write view: its',
      'writes are discarded after the run but for --keep), ro (read-only);',
      'see docs/runners.md                                  [default: rw]',
    ]),
    `  ${item('--keep PATH', ['with --workdir overlay: copy what the run wrote under PATH (relative', 'to the working directory) back; repeat for more paths'])}`,
  ].join('\n');
}

/** The working directory's mode and kept paths from --workdir and --keep; usage errors name the flag. */
export function workdirFrom(flags: Readonly<Record<string, FlagValue>>): Pick<SandboxOptions, 'workdir' | 'keep'> {
  const raw = flags.workdir;
  if (raw !== undefined && !(WORKDIR_MODES as readonly unknown[]).includes(raw)) {
    throw new UsageError(`${flagExpectation('--workdir', `one of ${WORKDIR_MODES.join(', ')}`, raw)} (e.g. --workdir overlay --keep dist)`);
  }
  const workdir = (raw as WorkdirMode | undefined) ?? 'rw';
  const keep = (flags.keep as string[] | undefined) ?? [];
  if (keep.length > 0 && workdir !== 'overlay') {
    throw new UsageError(`--keep copies back from the run's layer: it needs --workdir overlay (got --workdir ${workdir})`);
  }
  for (const path of keep) {
    try {
      resolveKeep([path], workdir);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      throw new UsageError(flagExpectation('--keep', `a path inside the working directory (relative, no '..')`, path));
    }
  }
  return { workdir, ...(keep.length > 0 ? { keep } : {}) };
}

/** The sandbox options those flags give, for a run in `cwd` (--memory and --tmp-size are in MB). */
export function sandboxOptionsFrom(flags: Readonly<Record<string, FlagValue>>, cwd: string): SandboxOptions {
  const sandbox: SandboxOptions = { cwd, network: flags.network === true, ...workdirFrom(flags) };
  if (flags.memory !== undefined) sandbox.memoryBytes = Math.round((flags.memory as number) * 1024 * 1024);
  if (flags.cpus !== undefined) sandbox.cpus = flags.cpus as number;
  if (flags['pids-limit'] !== undefined) sandbox.pidsLimit = flags['pids-limit'] as number;
  if (flags['tmp-size'] !== undefined) sandbox.tmpSizeBytes = Math.round((flags['tmp-size'] as number) * 1024 * 1024);
  const gvisorRoot = flags['gvisor-root'];
  if (gvisorRoot !== undefined) {
    if (!GVISOR_ROOTS.includes(gvisorRoot as GvisorRoot))
      throw new UsageError(`${flagExpectation('--gvisor-root', GVISOR_ROOTS.join(' or '), gvisorRoot)} (e.g. --gvisor-root image)`);
    sandbox.gvisorRoot = gvisorRoot as GvisorRoot;
  }
  return sandbox;
}
