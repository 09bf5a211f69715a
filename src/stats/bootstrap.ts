/**
 * Percentile bootstrap over paired observations (Efron): draw n pairs with replacement, compute the
 * statistic, repeat `resamples` times, and take the α/2 and 1 − α/2 quantiles of the results
 * (linear interpolation between order statistics, as numpy.percentile and scipy.stats.bootstrap
 * with method='percentile' do). Resampling pairs keeps each round's pair together, so drift that
 * hits both sides of a round cancels. A fixed seed (prng.ts) makes the interval reproducible.
 */
import { DEFAULT_LEVEL, type Interval } from './intervals';
import { DEFAULT_SEED, mulberry32 } from './prng';

export interface BootstrapOptions {
  /** @default 10000 */
  resamples?: number;
  /** @default DEFAULT_SEED */
  seed?: number;
  /** @default 0.95 */
  level?: number;
}

/** The q-quantile (0..1) of ascending values with numpy's default linear interpolation. */
export function interpolatedQuantile(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + (pos - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/**
 * Interval of `statistic(a, b)` over paired samples `a[i]`, `b[i]` (same length >= 2). The
 * statistic receives the resampled pairs as two arrays. Resamples where it is not finite are dropped.
 */
export function pairedBootstrapInterval(
  a: readonly number[],
  b: readonly number[],
  statistic: (a: Float64Array, b: Float64Array) => number,
  options: BootstrapOptions = {},
): Interval | null {
  const n = a.length;
  if (n < 2 || b.length !== n) return null;
  const resamples = options.resamples ?? 10_000;
  const level = options.level ?? DEFAULT_LEVEL;
  const random = mulberry32(options.seed ?? DEFAULT_SEED);
  const ra = new Float64Array(n);
  const rb = new Float64Array(n);
  const stats = new Float64Array(resamples);
  let kept = 0;
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const k = Math.floor(random() * n);
      ra[i] = a[k] as number;
      rb[i] = b[k] as number;
    }
    const s = statistic(ra, rb);
    if (Number.isFinite(s)) stats[kept++] = s;
  }
  if (kept === 0) return null;
  const sorted = stats.subarray(0, kept).sort();
  const estimate = statistic(Float64Array.from(a), Float64Array.from(b));
  return {
    estimate,
    low: interpolatedQuantile(sorted, (1 - level) / 2),
    high: interpolatedQuantile(sorted, 1 - (1 - level) / 2),
    level,
    method: 'bootstrap-percentile',
  };
}

/** Ratio of the means, Σa / Σb (null-safe: a zero Σb gives NaN, which the bootstrap drops). */
export function ratioOfMeans(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    sa += a[i] as number;
    sb += b[i] as number;
  }
  return sb === 0 ? Number.NaN : sa / sb;
}
