import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertNumberInRange, assertOneOf, assertPlainObject } from '../../validation';
import type { SandboxOptions } from '../types';
import { POOL_BACKENDS } from './createPool';
import { SandboxPool, type PoolBackendName } from './SandboxPool';
import { sizeForRate } from './sizeForRate';

export interface PoolAdviceOptions {
  /** Runs per second the pool must serve. */
  rate: number;
  /** The share of runs that may wait for a sandbox. @default 0.05 */
  targetMissRate?: number;
  /** Refills measured (one pool of one sandbox: the first fill, then one refill per run of `true`). @default 5 */
  refills?: number;
  /** The pool's sandbox settings (image, runtime limits…); `cwd` defaults to a fresh empty directory. */
  sandbox?: Omit<SandboxOptions, 'pool'>;
}

/** Which size a pool needs at a given arrival rate on this machine, and what it was computed from. */
export interface PoolAdvice {
  backend: PoolBackendName;
  rate: number;
  targetMissRate: number;
  /** Refills measured, and their median from its start to a ready sandbox, ms (measured one at a time). */
  refills: number;
  refillMs: number;
  /** Sandboxes being refilled at once on average: rate × refill time (Little's law). */
  inRefill: number;
  /** The smallest size that keeps misses under the target with Poisson arrivals, and its miss probability. */
  size: number;
  missProbability: number;
  /** Refills to start at once so that they keep up with the rate (`refillConcurrency`, at least the default 2). */
  refillConcurrency: number;
}

/**
 * Measures `refills` refills of a pool of `backend` on this machine, one at a time, and sizes a
 * pool for `rate` from their median (sizeForRate: Little's law with a Poisson tail). Refills that
 * overlap take longer on a loaded host than alone: a self-sizing pool (`size: { min, max }`)
 * keeps measuring them under its real load.
 */
export async function advisePoolSize(backend: PoolBackendName, options: PoolAdviceOptions): Promise<PoolAdvice> {
  assertOneOf('backend', backend, POOL_BACKENDS);
  assertPlainObject('options', options);
  const { rate, targetMissRate = 0.05, refills = 5, sandbox = {} } = options;
  assertNumberInRange('rate', rate, Number.MIN_VALUE, 1e6);
  assertNumberInRange('targetMissRate', targetMissRate, 0.0001, 1);
  assertNumberInRange('refills', refills, 1, 100, true);
  // The runs are `true`: an empty directory the sandbox user may enter serves as their working directory.
  const dir = sandbox.cwd === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-advise-')) : null;
  if (dir !== null) fs.chmodSync(dir, 0o755);
  const pool = new SandboxPool(backend, { ...sandbox, cwd: sandbox.cwd ?? (dir as string), pool: { size: 1, refillConcurrency: 1 } });
  let refillMs: number | null;
  try {
    await pool.prepare();
    while (pool.health().refills < refills) {
      await pool.run(['true']);
      await pool.settled();
      const { lastFailure } = pool.health();
      if (lastFailure !== null) throw new Error(`${backend}: a refill failed while measuring: ${lastFailure}`);
    }
    refillMs = pool.health().background.refillMs;
  } finally {
    await pool.teardown();
    if (dir !== null) fs.rmSync(dir, { recursive: true, force: true });
  }
  if (refillMs === null) throw new Error(`${backend}: no refill was measured`);
  const advice = sizeForRate(rate, refillMs, targetMissRate);
  return {
    backend,
    rate,
    targetMissRate,
    refills,
    refillMs,
    ...advice,
    refillConcurrency: Math.max(2, Math.ceil(advice.inRefill)),
  };
}
