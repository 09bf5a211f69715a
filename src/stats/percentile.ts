/**
 * The project's one percentile rule (the spec's p95 rule, generalised): nearest rank on
 * ascending values, index = ceil(q * count) - 1. For q = 0.95 and 20 values that is index 18,
 * the 19th smallest value. It never interpolates, so a reported percentile is always a value
 * that was actually observed.
 */
export function nearestRankIndex(q: number, count: number): number {
  if (count <= 0) return -1;
  return Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1));
}

/** Percentile of values already sorted ascending; 0 for an empty list. */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const i = nearestRankIndex(q, sorted.length);
  return i < 0 ? 0 : (sorted[i] as number);
}

/** Percentile of unsorted values (copies, never mutates its input). */
export function percentile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return percentileOfSorted(sorted, q);
}
