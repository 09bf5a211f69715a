/**
 * How the cost of isolation grows with the size of the work (`compare --scale`): one comparison
 * per size, then per backend a line through its values, cost = a + b·size (stats/linearFit.ts),
 * and its value at a size nobody ran (`--at`).
 *
 * What is fitted: for the baseline, its own run time (what the work costs without isolation);
 * for every other backend, the whole cost of isolation, its run time minus the baseline's in
 * the same round (paired, so the machine's drift between sizes cancels out): the time around
 * the command and the time the command itself loses inside the sandbox, together.
 */
import type { BackendName } from '../runners/types';
import { at as lineAt, fitLine, type SizedValues } from '../stats/linearFit';
import type { Interval } from '../stats/intervals';
import { mean } from '../stats/descriptive';
import { pairedRounds } from '../stats/paired';
import { expectation } from '../validation';
import type { ComparisonResult } from './comparisonResult';

export interface SizeMean {
  size: number;
  /** Values at this size (successful rounds; paired rounds for a sandbox). */
  count: number;
  meanMs: number | null;
}

export interface BackendScaling {
  backend: BackendName;
  /** `duration`: the baseline's own run time; `isolation`: run time minus the baseline's, per round. */
  measure: 'duration' | 'isolation';
  perSize: SizeMean[];
  /** ms at size 0 and ms per unit of size, 95 % intervals; null when it cannot be fitted. */
  fixedMs: Interval | null;
  perUnitMs: Interval | null;
  /** Lack-of-fit p-value (small: not a line, do not extrapolate); null below three sizes. */
  lackOfFitP: number | null;
  /** The line's value at `ScalingResult.at`, with its interval. */
  atMs: Interval | null;
}

export interface ScalingResult {
  /** The parameter that holds the size (`{size}` in the command). */
  parameter: string;
  sizes: number[];
  /** The size extrapolated to (`--at`), or null. */
  at: number | null;
  baseline: BackendName;
  backends: BackendScaling[];
}

/** The size a comparison ran at, read back from its recorded parameter. */
function sizeOf(result: ComparisonResult, parameter: string): number {
  const text = result.parameters?.[parameter];
  const size = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(size)) {
    throw new TypeError(expectation(`the parameter ${parameter}`, 'a number in every scaled comparison', text));
  }
  return size;
}

/** The values fitted for backend `index` of a comparison (see the file's comment). */
function valuesOf(result: ComparisonResult, index: number): number[] {
  const backend = result.backends[index];
  if (!backend) return [];
  const baseline = result.backends.find((b) => b.backend === result.baseline);
  if (backend.backend === result.baseline || !baseline) return backend.durationsMs;
  const pairs = pairedRounds(backend.roundsMs, baseline.roundsMs);
  return pairs.a.map((a, i) => a - (pairs.b[i] as number));
}

export function scaling(results: readonly ComparisonResult[], parameter: string, atSize: number | null = null): ScalingResult {
  const first = results[0];
  if (!first) throw new TypeError(expectation('results', 'at least one comparison', results));
  const sizes = results.map((r) => sizeOf(r, parameter));
  const backends = first.backends.map((b, index): BackendScaling => {
    const groups: SizedValues[] = results.map((r, i) => ({ size: sizes[i] as number, values: valuesOf(r, index) }));
    const fit = fitLine(groups);
    return {
      backend: b.backend,
      measure: b.backend === first.baseline ? 'duration' : 'isolation',
      perSize: groups.map((g) => ({ size: g.size, count: g.values.length, meanMs: g.values.length > 0 ? mean(g.values) : null })),
      fixedMs: fit ? fit.intercept : null,
      perUnitMs: fit ? fit.slope : null,
      lackOfFitP: fit ? fit.lackOfFitP : null,
      atMs: fit && atSize !== null ? lineAt(fit.model, atSize) : null,
    };
  });
  return { parameter, sizes, at: atSize, baseline: first.baseline, backends };
}
