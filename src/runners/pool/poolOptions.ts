import { assertNumberInRange, assertPlainObject, expectation, ValidationError } from '../../validation';
import type { AutosizeOptions } from './PoolSizer';

/** The self-sizing form of `size`: the pool grows and shrinks between `min` and `max` (PoolSizer.ts). */
export interface AutosizeSpec {
  min: number;
  max: number;
  /** The share of runs that may wait for a sandbox; the pool grows to keep under it. @default 0.05 */
  targetMissRate?: number;
  /** A smaller size is taken once it has been enough for this long; without a run for this long the pool returns to `min`. @default 30000 */
  shrinkAfterMs?: number;
}

/** How a pool of fresh sandboxes is sized and how long a run may wait for one. */
export interface PoolOptions {
  /**
   * Sandboxes kept created, started and waiting (idle or starting) ahead of demand.
   * Each idle sandbox costs its agent's memory (see docs/runners.md). A number keeps that many;
   * `{ min, max, targetMissRate?, shrinkAfterMs? }` lets the pool size itself from the arrival rate
   * it sees and its measured refill time (Little's law, with hysteresis; see PoolSizer.ts).
   * @default 2
   */
  size?: number | AutosizeSpec;
  /**
   * The most containers the pool holds at once, idle, starting and serving runs together: runs
   * beyond it wait (a miss) instead of making the engine start more. At least `size` (its `max`), at most 256.
   * @default 2 × size (its `max`)
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

export interface ResolvedPoolOptions extends Required<Omit<PoolOptions, 'size'>> {
  /** The size kept at start: `size`, or its `min` when the pool sizes itself. */
  size: number;
  /** The self-sizing policy's options, or null for a fixed size. */
  autosize: AutosizeOptions | null;
}

export const MAX_POOL_SIZE = 64;
export const MAX_POOL_SANDBOXES = 256;
/** Every key of PoolOptions. */
export const POOL_OPTION_KEYS = ['size', 'maxSandboxes', 'acquireTimeoutMs', 'refillConcurrency'] as const;
const KEYS: ReadonlySet<string> = new Set(POOL_OPTION_KEYS);
const AUTOSIZE_KEYS: ReadonlySet<string> = new Set(['min', 'max', 'targetMissRate', 'shrinkAfterMs']);

function resolveAutosize(spec: object): AutosizeOptions {
  for (const key of Object.keys(spec)) {
    if (!AUTOSIZE_KEYS.has(key)) {
      throw new ValidationError(expectation(`pool.size.${key}`, `one of ${[...AUTOSIZE_KEYS].map((k) => `'${k}'`).join(', ')}`, key));
    }
  }
  const { min, max, targetMissRate = 0.05, shrinkAfterMs = 30_000 } = spec as Partial<AutosizeSpec>;
  assertNumberInRange('pool.size.min', min, 1, MAX_POOL_SIZE, true);
  assertNumberInRange('pool.size.max', max, min, MAX_POOL_SIZE, true);
  assertNumberInRange('pool.size.targetMissRate', targetMissRate, 0.0001, 1);
  assertNumberInRange('pool.size.shrinkAfterMs', shrinkAfterMs, 1, 2 ** 31 - 1);
  return { min, max, targetMissRate, shrinkAfterMs };
}

export function resolvePoolOptions(options: PoolOptions = {}): ResolvedPoolOptions {
  assertPlainObject('pool', options);
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new ValidationError(expectation(`pool.${key}`, `one of ${[...KEYS].map((k) => `'${k}'`).join(', ')}`, key));
  }
  const { acquireTimeoutMs = 60_000, refillConcurrency = 2 } = options;
  const spec = options.size;
  const autosize = typeof spec === 'object' && (spec as unknown) !== null && !Array.isArray(spec) ? resolveAutosize(spec) : null;
  const size = autosize ? autosize.min : (options.size ?? 2);
  assertNumberInRange('pool.size', size, 1, MAX_POOL_SIZE, true);
  const largest = autosize ? autosize.max : size;
  const maxSandboxes = options.maxSandboxes ?? Math.min(MAX_POOL_SANDBOXES, 2 * largest);
  assertNumberInRange('pool.maxSandboxes', maxSandboxes, largest, MAX_POOL_SANDBOXES, true);
  assertNumberInRange('pool.acquireTimeoutMs', acquireTimeoutMs, 1, 2 ** 31 - 1);
  assertNumberInRange('pool.refillConcurrency', refillConcurrency, 1, MAX_POOL_SIZE, true);
  return { size, autosize, maxSandboxes, acquireTimeoutMs, refillConcurrency };
}

/** Delay before the next refill after `failures` consecutive failures: 100 ms doubling, at most 10 s. */
export function refillBackoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(10_000, 100 * 2 ** Math.min(failures - 1, 20));
}
