/**
 * 95 % confidence intervals of one sample (pure functions, milliseconds in, milliseconds out).
 *
 * - Mean: Student's t interval, mean ± t(1 − α/2, n − 1) · s / √n. Exact for normal data and close
 *   for run times of a few dozen runs; needs n >= 2.
 * - Median: the distribution-free order-statistic interval [x(j), x(n + 1 − j)] (1-based, sorted),
 *   with the largest j whose coverage 1 − 2 · P(B <= j − 1), B ~ Binomial(n, ½), is still >= the
 *   level. It makes no assumption about the shape of the distribution (run times are skewed) and
 *   is what scipy.stats.quantile_test(...).confidence_interval() returns. Needs n >= 6 for 95 %.
 *
 * An interval is null when the sample is too small to have one: a single run has no error bar.
 */
import { binomialCdf, studentTQuantile } from './distributions';
import { mean, median, sortedCopy, stddev } from './descriptive';

export interface Interval {
  /** The point estimate. */
  estimate: number;
  low: number;
  high: number;
  /** The confidence level asked for, e.g. 0.95. */
  level: number;
  /** How it was computed, named for reports: 't', 'order-statistic', 'bootstrap-percentile'. */
  method: string;
}

export const DEFAULT_LEVEL = 0.95;

/** Half the width of an interval. */
export function halfWidth(interval: Interval): number {
  return (interval.high - interval.low) / 2;
}

/** True when the interval contains `value` (by default 0: no significant difference). */
export function spans(interval: Interval, value = 0): boolean {
  return interval.low <= value && value <= interval.high;
}

/** Student's t interval of the mean at `level` (default 0.95); null below two values. */
export function meanInterval(values: readonly number[], level = DEFAULT_LEVEL): Interval | null {
  const n = values.length;
  if (n < 2) return null;
  const m = mean(values);
  const margin = (studentTQuantile(1 - (1 - level) / 2, n - 1) * stddev(values)) / Math.sqrt(n);
  return { estimate: m, low: m - margin, high: m + margin, level, method: 't' };
}

/** The largest j (1-based) whose order-statistic interval still covers `level`, or 0 when none does. */
export function medianRank(n: number, level = DEFAULT_LEVEL): number {
  let j = 0;
  while (j + 1 <= n - j && 1 - 2 * binomialCdf(j, n, 0.5) >= level) j++;
  return j;
}

/** The distribution-free order-statistic interval of the median at `level` (default 0.95); null below six values at 95 %. */
export function medianInterval(values: readonly number[], level = DEFAULT_LEVEL): Interval | null {
  const j = medianRank(values.length, level);
  if (j === 0) return null;
  const sorted = sortedCopy(values);
  return {
    estimate: median(values),
    low: sorted[j - 1] as number,
    high: sorted[values.length - j] as number,
    level,
    method: 'order-statistic',
  };
}
