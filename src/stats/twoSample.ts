/**
 * Two independent samples (today's runs against a saved baseline's: no round pairs them).
 * - welchInterval: difference of the means a − b with Welch's t interval (unequal variances,
 *   Welch-Satterthwaite degrees of freedom), what scipy.stats.ttest_ind(equal_var=False)
 *   .confidence_interval() gives;
 * - mannWhitneyU: two-sided Mann-Whitney U test, normal approximation with tie correction and
 *   continuity correction (scipy.stats.mannwhitneyu(method='asymptotic')); U is a's statistic;
 * - hodgesLehmannTwoSample: the median of all differences aᵢ − bⱼ (the shift estimate that goes
 *   with the U test; O(n·m)).
 */
import { mean, median, stddev } from './descriptive';
import { normalCdf, studentTQuantile } from './distributions';
import { DEFAULT_LEVEL, type Interval } from './intervals';
import { averageRanks } from './wilcoxon';

/** Welch's t interval of mean(a) − mean(b) at `level` (default 0.95); null when either sample has fewer than two values. */
export function welchInterval(a: readonly number[], b: readonly number[], level = DEFAULT_LEVEL): Interval | null {
  const n = a.length;
  const m = b.length;
  if (n < 2 || m < 2) return null;
  const va = stddev(a) ** 2 / n;
  const vb = stddev(b) ** 2 / m;
  const estimate = mean(a) - mean(b);
  const se = Math.sqrt(va + vb);
  if (se === 0) return { estimate, low: estimate, high: estimate, level, method: 'welch-t' };
  const df = (va + vb) ** 2 / (va ** 2 / (n - 1) + vb ** 2 / (m - 1));
  const margin = studentTQuantile(1 - (1 - level) / 2, df) * se;
  return { estimate, low: estimate - margin, high: estimate + margin, level, method: 'welch-t' };
}

export interface RankSumTest {
  /** U of the first sample. */
  statistic: number;
  pValue: number;
}

/** Two-sided Mann-Whitney U test of `a` against `b` (normal approximation, tie and continuity corrected); null for an empty sample. */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): RankSumTest | null {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return null;
  const { ranks, ties } = averageRanks([...a, ...b]);
  let rankSum = 0;
  for (let i = 0; i < n; i++) rankSum += ranks[i] as number;
  const u = rankSum - (n * (n + 1)) / 2;
  const total = n + m;
  const tieTerm = ties.reduce((s, t) => s + t * t * t - t, 0);
  const variance = ((n * m) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  if (variance <= 0) return { statistic: u, pValue: 1 };
  const z = Math.max(0, Math.abs(u - (n * m) / 2) - 0.5) / Math.sqrt(variance);
  return { statistic: u, pValue: Math.min(1, 2 * (1 - normalCdf(z))) };
}

/** The median of all differences aᵢ − bⱼ; null for an empty sample. */
export function hodgesLehmannTwoSample(a: readonly number[], b: readonly number[]): number | null {
  if (a.length === 0 || b.length === 0) return null;
  const differences: number[] = [];
  for (const x of a) for (const y of b) differences.push(x - y);
  return median(differences);
}
