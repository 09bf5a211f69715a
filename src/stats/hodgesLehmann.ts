/**
 * Hodges-Lehmann estimate of a paired shift: the median of the Walsh averages (dᵢ + dⱼ) / 2 over
 * i <= j. It is the estimate that goes with the signed-rank test: robust to a few outlier rounds
 * (a breakdown point of 29 %) yet nearly as efficient as the mean for normal data. O(n²) memory
 * and time: 500 rounds are 125 250 averages.
 */
import { median } from './descriptive';

/** The median of the Walsh averages of paired `differences`; null without differences. */
export function hodgesLehmannShift(differences: readonly number[]): number | null {
  const n = differences.length;
  if (n === 0) return null;
  const walsh: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) walsh.push(((differences[i] as number) + (differences[j] as number)) / 2);
  }
  return median(walsh);
}
