/**
 * Wilcoxon signed-rank test on paired differences, two-sided, as scipy.stats.wilcoxon computes it
 * with zero_method='wilcox' and correction=False:
 * - zero differences are dropped; the rest are ranked by |d| (ties get their average rank);
 * - W+ is the sum of the ranks of the positive differences;
 * - with at most 50 differences and no ties the p-value is exact: the null distribution of W+
 *   counted over all 2^n sign patterns (a subset-sum table, O(n³));
 * - otherwise the normal approximation, mean n(n+1)/4 and variance n(n+1)(2n+1)/24 less
 *   Σ(t³ − t)/48 over groups of t tied ranks.
 * It assumes only that the differences are symmetric about their median under the null; it does
 * not assume normal run times.
 */
import { normalCdf } from './distributions';

export interface SignedRankTest {
  /** W+: sum of the ranks of the positive differences. */
  statistic: number;
  /** Differences left after dropping zeros. */
  n: number;
  pValue: number;
  method: 'exact' | 'normal';
}

/** Average ranks (1-based) of `values`, ties sharing the mean of their positions; also the tie groups' sizes. */
export function averageRanks(values: readonly number[]): { ranks: number[]; ties: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  const ties: number[] = [];
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]) j++;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[(order[k] as readonly [number, number])[1]] = rank;
    if (j > i) ties.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, ties };
}

/** P(W+ <= w) under the null for n untied differences, from the count of sign patterns per sum. */
function exactCdf(w: number, n: number): number {
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) {
    for (let s = max; s >= k; s--) counts[s] = (counts[s] as number) + (counts[s - k] as number);
  }
  let below = 0;
  for (let s = 0; s <= Math.floor(w); s++) below += counts[s] as number;
  return below / 2 ** n;
}

/** Two-sided signed-rank test of `differences` (e.g. a[i] − b[i] per round); null with no non-zero difference. */
export function wilcoxonSignedRank(differences: readonly number[]): SignedRankTest | null {
  const d = differences.filter((x) => x !== 0 && Number.isFinite(x));
  const n = d.length;
  if (n === 0) return null;
  const { ranks, ties } = averageRanks(d.map(Math.abs));
  let statistic = 0;
  d.forEach((x, i) => {
    if (x > 0) statistic += ranks[i] as number;
  });
  const total = (n * (n + 1)) / 2;
  if (n <= 50 && ties.length === 0) {
    const low = Math.min(statistic, total - statistic);
    return { statistic, n, pValue: Math.min(1, 2 * exactCdf(low, n)), method: 'exact' };
  }
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - ties.reduce((s, t) => s + t * t * t - t, 0) / 48;
  const z = variance > 0 ? (statistic - total / 2) / Math.sqrt(variance) : 0;
  return { statistic, n, pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))), method: 'normal' };
}
