import { sandboxPerfMonitor, type SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { assertOneOf, assertPlainObject } from '../../validation';
import { runInSandbox, type SandboxRun } from '../runInSandbox';
import type { RunOptions, SandboxOptions } from '../types';
import { POOL_OPTION_KEYS, type PoolOptions } from './poolOptions';
import { backendsWhere } from '../backendNames';
import type { PoolHealth } from './PoolStats';
import { SandboxPool, type PoolBackendName } from './SandboxPool';

/** The pool backends: the `pool` family of the registry (backends.ts). */
export const POOL_BACKENDS = backendsWhere((entry) => entry.family === 'pool') as readonly PoolBackendName[];

export interface CreatePoolOptions extends Omit<SandboxOptions, 'pool'>, PoolOptions {
  /** Where `run` records each run. @default the process-wide `sandboxPerfMonitor` */
  monitor?: SandboxPerfMonitor;
}

export interface PoolRunOptions extends RunOptions {
  /** @default the pool's monitor */
  monitor?: SandboxPerfMonitor;
  /** The record's id. @default `<backend>-<random UUID>` */
  sandboxId?: string;
}

/** A filled pool: `run` is `runInSandbox` on it, `health` its state, `close` drains it. */
export interface Pool {
  readonly backend: SandboxPool;
  run(command: readonly string[], options?: PoolRunOptions): Promise<SandboxRun>;
  health(): PoolHealth;
  close(): Promise<void>;
}

/**
 * Creates a pool of fresh sandboxes and fills it: resolves once `size` sandboxes are ready (or
 * rejects with why the first one could not start, e.g. BackendUnavailableError). Each `run` takes
 * one, records the run through the monitor like `runInSandbox`, and the pool refills behind it.
 * The pool drains itself on SIGINT/SIGTERM/SIGHUP; call `close()` when done.
 */
export async function createPool(backend: PoolBackendName, options: CreatePoolOptions = {}): Promise<Pool> {
  assertOneOf('backend', backend, POOL_BACKENDS);
  assertPlainObject('options', options);
  const { monitor = sandboxPerfMonitor, ...rest } = options;
  const pool: PoolOptions = {};
  const sandbox: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if ((POOL_OPTION_KEYS as readonly string[]).includes(key)) (pool as Record<string, unknown>)[key] = value;
    else sandbox[key] = value;
  }
  const sandboxPool = new SandboxPool(backend, { ...(sandbox as SandboxOptions), pool });
  await sandboxPool.prepare();
  return {
    backend: sandboxPool,
    run: (command, runOptions = {}) => runInSandbox(sandboxPool, command, { monitor, ...runOptions }),
    health: () => sandboxPool.health(),
    close: () => sandboxPool.teardown(),
  };
}
