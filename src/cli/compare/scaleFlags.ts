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
  // A string, split here: its errors name sizes and give an example (`--scale 1,2,4,8`), as the list type's do not.
  scale: { type: 'string', value: 'SIZES' },
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
  const list = flags.scale as string | undefined;
  if (list === undefined) {
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
  const sizes = list.split(',').map((text) => text.trim());
  if (sizes.includes('')) {
    throw new UsageError(`${flagExpectation('--scale', 'comma-separated sizes with none empty', list)} (e.g. --scale 1,2,4,8)`);
  }
  const values = sizes.map((text) => {
    const n = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(n))
      throw new UsageError(`${flagExpectation('--scale', 'sizes as decimal numbers >= 0', text)} (e.g. --scale 1,2,4,8)`);
    // The bound --at has (args.ts): beyond it a size is not the number typed.
    if (n > Number.MAX_SAFE_INTEGER) {
      throw new UsageError(flagExpectation('--scale', `sizes as decimal numbers from 0 to ${Number.MAX_SAFE_INTEGER}`, text));
    }
    return n;
  });
  if (new Set(values).size < 2) {
    throw new UsageError(
      `${flagExpectation('--scale', 'at least two different sizes to fit a line through', sizes.join(','))} (e.g. --scale 1,2,4,8)`,
    );
  }
  assertSizeUsed(parsed, name);
  return {
    parsed: { ...parsed, flags: { ...flags, 'parameter-list': [[name, sizes.join(',')]] } },
    scale: { parameter: name, sizes: values, at: (flags.at as number | undefined) ?? null },
  };
}

/**
 * Sizes that reach no workload fit a line through identical runs: `{NAME}` must be in the command
 * (after `--` or quoted, hyperfine's form) or in a hook (--setup, --prepare, --cleanup), which are
 * substituted as the command is (workloads.ts). A name given with -n is only a label.
 */
function assertSizeUsed(parsed: ParsedArgs, name: string): void {
  // No command at all: compareWorkloads says what is missing.
  if (parsed.command === null && parsed.positionals.length === 0) return;
  const key = `{${name}}`;
  const hooks = (['setup', 'prepare', 'cleanup'] as const).map((hook) => parsed.flags[hook]);
  const texts = [...(parsed.command ?? []), ...parsed.positionals, ...hooks.filter((h): h is string => typeof h === 'string')];
  if (!texts.some((text) => text.includes(key))) {
    throw new UsageError(
      `--scale sizes replace ${key} in the command or its hooks, and neither has it: every size would run the same workload ` +
        `(e.g. sandbox-perf compare --scale 1,2,4,8 -- sh build.sh ${key})`,
    );
  }
}
