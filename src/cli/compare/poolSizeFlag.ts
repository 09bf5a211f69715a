/** compare's `--pool-size N|MIN-MAX`: the pools' `size`, fixed or self-sizing, read into SandboxOptions' `pool`. */
import { resolvePoolOptions, type PoolOptions } from '../../runners/pool/poolOptions';
import { flagExpectation, ValidationError } from '../../validation';
import { UsageError } from '../command';

export function poolOption(flags: Record<string, unknown>): { pool?: PoolOptions } {
  const raw = flags['pool-size'] as string | undefined;
  if (raw === undefined) return {};
  const match = /^([0-9]+)(?:-([0-9]+))?$/.exec(raw);
  const expected = `${flagExpectation('--pool-size', 'N (a fixed size) or MIN-MAX (a pool that sizes itself), 1 to 64', raw)} (e.g. --pool-size 2-8)`;
  if (!match) throw new UsageError(expected);
  const [, first, second] = match;
  const pool: PoolOptions = { size: second === undefined ? Number(first) : { min: Number(first), max: Number(second) } };
  try {
    resolvePoolOptions(pool);
  } catch (error) {
    if (error instanceof ValidationError || error instanceof RangeError) throw new UsageError(expected);
    throw error;
  }
  return { pool };
}
