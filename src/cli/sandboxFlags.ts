import os from 'node:os';
import type { SandboxOptions } from '../runners/types';
import type { FlagValue } from './args';

/** The flags `run` and `compare` share for the sandbox: memory and CPU limits, network. */
export const SANDBOX_FLAGS = {
  memory: { type: 'number', min: 6, value: 'MB' },
  cpus: { type: 'number', min: 0.01, max: os.availableParallelism(), value: 'CPUS' },
  network: { type: 'boolean' },
} as const;

/** The sandbox options those flags give, for a run in `cwd` (--memory is in MB). */
export function sandboxOptionsFrom(flags: Readonly<Record<string, FlagValue>>, cwd: string): SandboxOptions {
  const sandbox: SandboxOptions = { cwd, network: flags.network === true };
  if (flags.memory !== undefined) sandbox.memoryBytes = Math.round((flags.memory as number) * 1024 * 1024);
  if (flags.cpus !== undefined) sandbox.cpus = flags.cpus as number;
  return sandbox;
}
