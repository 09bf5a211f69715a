import { mad, median } from './descriptive';

/**
 * Outliers by the modified z-score (Iglewicz and Hoaglin): z = 0.6745 (x − median) / MAD, and a
 * value is an outlier when |z| > threshold (3.5 by default). Robust: one slow run cannot hide
 * itself by inflating the spread, as it would with mean ± k σ. With MAD = 0 (most values equal)
 * nothing is flagged.
 */
export const OUTLIER_Z_THRESHOLD = 3.5;

/** The modified z-score of each value, 0.6745 (x − median) / MAD; all 0 when MAD is 0. */
export function modifiedZScores(values: readonly number[]): number[] {
  const m = median(values);
  const d = mad(values);
  if (d === 0) return values.map(() => 0);
  return values.map((v) => (0.6745 * (v - m)) / d);
}

/** Indexes of the outliers in `values`. */
export function outlierIndexes(values: readonly number[], threshold = OUTLIER_Z_THRESHOLD): number[] {
  const out: number[] = [];
  modifiedZScores(values).forEach((z, i) => {
    if (Math.abs(z) > threshold) out.push(i);
  });
  return out;
}
