/**
 * compare's `--scale SIZES [--scale-name NAME] [--at SIZE]`: a parameter list (`-L size SIZES`)
 * whose values are sizes, so that after the comparisons a line can be fitted through them
 * (compare/scaling.ts). It is a parameter like any other (recorded with each comparison, in the
 * commands, names and hooks as `{size}`), so the scaled comparisons are exactly what `-L` runs.
 */
import { flagExpectation } from '../../validation';
import type { ParsedArgs } from '../args';
import { UsageError } from '../command';

export const SCALE_FLAGS = {
  scale: { type: 'list', value: 'SIZES' },
  'scale-name': { type: 'string', value: 'NAME' },
  at: { type: 'number', min: 0, value: 'SIZE' },
} as const;

export interface ScalePlan {
  parameter: string;
  sizes: number[];
  at: number | null;
}

export const DEFAULT_SCALE_NAME = 'size';

/** The arguments with `--scale` turned into its `-L`, and what to fit; `null` without `--scale`. */
export function scalePlan(parsed: ParsedArgs): { parsed: ParsedArgs; scale: ScalePlan | null } {
  const { flags } = parsed;
  const sizes = flags.scale as string[] | undefined;
  if (sizes === undefined) {
    for (const flag of ['scale-name', 'at'] as const) {
      if (flags[flag] !== undefined)
        throw new UsageError(`--${flag} goes with --scale SIZES (e.g. --scale 1,2,4,8 --${flag} ${flag === 'at' ? '100000' : 'files'})`);
    }
    return { parsed, scale: null };
  }
  if (flags['parameter-scan'] !== undefined || flags['parameter-list'] !== undefined) {
    throw new UsageError('--scale is a parameter list of its own: it cannot be combined with -P or -L (give the sizes to --scale only)');
  }
  const name = (flags['scale-name'] as string | undefined) ?? DEFAULT_SCALE_NAME;
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
    throw new UsageError(`${flagExpectation('--scale-name', 'a name of letters, digits, _ or -', name)} (e.g. --scale-name files)`);
  }
  const values = sizes.map((text) => {
    const n = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(n))
      throw new UsageError(`${flagExpectation('--scale', 'sizes as decimal numbers >= 0', text)} (e.g. --scale 1,2,4,8)`);
    return n;
  });
  if (new Set(values).size < 2) {
    throw new UsageError(
      `${flagExpectation('--scale', 'at least two different sizes to fit a line through', sizes.join(','))} (e.g. --scale 1,2,4,8)`,
    );
  }
  return {
    parsed: { ...parsed, flags: { ...flags, 'parameter-list': [[name, sizes.join(',')]] } },
    scale: { parameter: name, sizes: values, at: (flags.at as number | undefined) ?? null },
  };
}
