import { assertNumberInRange, assertPlainObject, expectation, ValidationError } from '../../validation';

/** How a pool of fresh sandboxes is sized and how long a run may wait for one. */
export interface PoolOptions {
  /**
   * Sandboxes kept created, started and waiting (idle or starting) ahead of demand.
   * Each idle sandbox costs its agent's memory (see docs/runners.md).
   * @default 2
   */
  size?: number;
  /**
   * The most containers the pool holds at once, idle, starting and serving runs together: runs
   * beyond it wait (a miss) instead of making the engine start more. At least `size`, at most 256.
   * @default 2 × size
   */
  maxSandboxes?: number;
  /** A run that waited this long for a sandbox fails with the last refill failure. @default 60000 */
  acquireTimeoutMs?: number;
  /**
   * Containers being created and started at once to refill the pool; when more runs wait for a
   * sandbox than that, one is started for each (within `maxSandboxes`), as `docker` would. @default 2
   */
  refillConcurrency?: number;
}

export type ResolvedPoolOptions = Required<PoolOptions>;

export const MAX_POOL_SIZE = 64;
export const MAX_POOL_SANDBOXES = 256;
/** Every key of PoolOptions. */
export const POOL_OPTION_KEYS = ['size', 'maxSandboxes', 'acquireTimeoutMs', 'refillConcurrency'] as const;
const KEYS: ReadonlySet<string> = new Set(POOL_OPTION_KEYS);

export function resolvePoolOptions(options: PoolOptions = {}): ResolvedPoolOptions {
  assertPlainObject('pool', options);
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new ValidationError(expectation(`pool.${key}`, `one of ${[...KEYS].map((k) => `'${k}'`).join(', ')}`, key));
  }
  const { size = 2, acquireTimeoutMs = 60_000, refillConcurrency = 2 } = options;
  assertNumberInRange('pool.size', size, 1, MAX_POOL_SIZE, true);
  const maxSandboxes = options.maxSandboxes ?? Math.min(MAX_POOL_SANDBOXES, 2 * size);
  assertNumberInRange('pool.maxSandboxes', maxSandboxes, size, MAX_POOL_SANDBOXES, true);
  assertNumberInRange('pool.acquireTimeoutMs', acquireTimeoutMs, 1, 2 ** 31 - 1);
  assertNumberInRange('pool.refillConcurrency', refillConcurrency, 1, MAX_POOL_SIZE, true);
  return { size, maxSandboxes, acquireTimeoutMs, refillConcurrency };
}

/** Delay before the next refill after `failures` consecutive failures: 100 ms doubling, at most 10 s. */
export function refillBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(10_000, 100 * 2 ** Math.min(failures - 1, 20));
}
