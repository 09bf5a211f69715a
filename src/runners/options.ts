import os from 'node:os';
import path from 'node:path';
import { assertNumberInRange, assertOneOf, assertPlainObject, expectation, ValidationError } from '../validation';
import type { RunOptions, SandboxOptions } from './types';
import { sandboxEnv } from './environment';
import { assertWorkdirMode, DEFAULT_WORKDIR, resolveKeep, type KeptPath, type WorkdirMode } from './workdir/workdirOptions';

export const DEFAULT_TIMEOUT_MS = 300_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_DOCKER_IMAGE = 'sandbox-perf/node:local';
/** Docker refuses smaller memory limits; the same floor applies to every backend. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
/** Tasks a run may hold by default, on every backend (Docker's limit before it was an option). */
export const DEFAULT_PIDS_LIMIT = 512;
/** The kernel's largest pid_max (PID_MAX_LIMIT on 64-bit) less the PIDs it reserves below 300. */
export const MAX_PIDS_LIMIT = 4_194_000;
/** Size of each private tmpfs by default (Docker's /tmp before it was an option). */
export const DEFAULT_TMP_SIZE_BYTES = 512 * 1024 * 1024;
export const MIN_TMP_SIZE_BYTES = 1024 * 1024;
/** setTimeout's largest delay: the longest `timeoutMs` (and --timeout). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** SandboxOptions with every default applied, validated. */
export interface ResolvedSandboxOptions {
  cwd: string;
  env: Readonly<Record<string, string>>;
  network: boolean;
  memoryBytes: number | undefined;
  cpus: number | undefined;
  pidsLimit: number;
  tmpSizeBytes: number;
  cgroups: boolean;
  image: string;
  gvisorRoot: GvisorRoot;
  dockerSocket: string;
  workdir: WorkdirMode;
  keep: readonly KeptPath[];
}

/** The root file systems `gvisor` can run the command from (SandboxOptions.gvisorRoot). */
export const GVISOR_ROOTS = ['host', 'image'] as const;
export type GvisorRoot = (typeof GVISOR_ROOTS)[number];

export const SANDBOX_OPTION_KEYS = [
  'cwd',
  'env',
  'network',
  'memoryBytes',
  'cpus',
  'pidsLimit',
  'tmpSizeBytes',
  'cgroups',
  'pool',
  'image',
  'gvisorRoot',
  'dockerSocket',
  'workdir',
  'keep',
] as const;
export const RUN_OPTION_KEYS = ['timeoutMs', 'maxOutputBytes', 'onOutput'] as const;

/** A command is argv: a non-empty array of strings, the first non-empty, none holding a NUL byte. */
export function assertCommand(value: unknown): asserts value is readonly string[] {
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((arg) => typeof arg === 'string' && !arg.includes('\0')) &&
    (value[0] as string).length > 0;
  if (!ok) {
    throw new ValidationError(
      expectation('command', 'a non-empty array of strings (argv, no NUL bytes, a non-empty first element)', value),
    );
  }
}

function assertString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw new ValidationError(expectation(name, 'a non-empty string', value));
  }
}

function assertBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ValidationError(expectation(name, 'a boolean', value));
}

function assertEnv(value: unknown): asserts value is Record<string, string> {
  assertPlainObject('env', value);
  for (const [key, v] of Object.entries(value)) {
    if (key.length === 0 || key.includes('=') || key.includes('\0')) {
      throw new ValidationError(expectation('env', "an object whose keys are variable names (non-empty, no '=')", key));
    }
    if (typeof v !== 'string' || v.includes('\0')) throw new ValidationError(expectation(`env.${key}`, 'a string', v));
  }
}

/** The Docker socket: the option, else a unix:// DOCKER_HOST, else the standard path. */
export function defaultDockerSocket(): string {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  return '/var/run/docker.sock';
}

export function resolveSandboxOptions(options: SandboxOptions = {}): ResolvedSandboxOptions {
  assertPlainObject('options', options);
  const { cwd = process.cwd(), env = {}, network = false, memoryBytes, cpus } = options;
  const { pidsLimit = DEFAULT_PIDS_LIMIT, tmpSizeBytes = DEFAULT_TMP_SIZE_BYTES } = options;
  const cgroups = options.cgroups ?? (memoryBytes !== undefined || cpus !== undefined);
  const image = options.image ?? process.env.SANDBOX_PERF_DOCKER_IMAGE ?? DEFAULT_DOCKER_IMAGE;
  const dockerSocket = options.dockerSocket ?? defaultDockerSocket();
  const workdir = options.workdir ?? DEFAULT_WORKDIR;
  const gvisorRoot = options.gvisorRoot ?? 'host';
  assertOneOf('gvisorRoot', gvisorRoot, GVISOR_ROOTS);
  assertString('cwd', cwd);
  assertEnv(env);
  assertBoolean('network', network);
  assertBoolean('cgroups', cgroups);
  assertString('image', image);
  assertString('dockerSocket', dockerSocket);
  assertWorkdirMode(workdir);
  const keep = resolveKeep(options.keep, workdir);
  if (memoryBytes !== undefined) assertNumberInRange('memoryBytes', memoryBytes, MIN_MEMORY_BYTES, Number.MAX_SAFE_INTEGER, true);
  if (cpus !== undefined) assertNumberInRange('cpus', cpus, 0.01, os.availableParallelism());
  assertNumberInRange('pidsLimit', pidsLimit, 1, MAX_PIDS_LIMIT, true);
  assertNumberInRange('tmpSizeBytes', tmpSizeBytes, MIN_TMP_SIZE_BYTES, Number.MAX_SAFE_INTEGER, true);
  const absolute = path.resolve(cwd);
  return {
    cwd: absolute,
    env: sandboxEnv(absolute, env),
    network,
    memoryBytes,
    cpus,
    pidsLimit,
    tmpSizeBytes,
    cgroups,
    image,
    gvisorRoot,
    dockerSocket,
    workdir,
    keep,
  };
}

export type ResolvedRunOptions = Required<Omit<RunOptions, 'onOutput'>> & Pick<RunOptions, 'onOutput'>;

export function resolveRunOptions(options: RunOptions = {}): ResolvedRunOptions {
  assertPlainObject('options', options);
  const { timeoutMs = DEFAULT_TIMEOUT_MS, maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES } = options;
  assertNumberInRange('timeoutMs', timeoutMs, 1, MAX_TIMEOUT_MS);
  assertNumberInRange('maxOutputBytes', maxOutputBytes, 0, Number.MAX_SAFE_INTEGER, true);
  const { onOutput } = options;
  if (onOutput !== undefined && typeof onOutput !== 'function') throw new ValidationError(expectation('onOutput', 'a function', onOutput));
  return { timeoutMs, maxOutputBytes, onOutput };
}
