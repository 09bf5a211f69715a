/**
 * Outliers limited before testing: each value is clipped to its local median (over 2h + 1
 * neighbours) ± k·σ̂, with σ̂ the noise estimated robustly from the series' first differences
 * (1.4826 · MAD of (xᵢ − xᵢ₋₁) / √2: a few level shifts and outliers barely move it). A single
 * slow run then weighs like any other slow run, while a lasting shift is untouched: its values
 * sit near their local median. Returns a new array.
 */
export function clipOutliers(values: ArrayLike<number>, halfWidth = 6, k = 4): Float64Array {
  const n = values.length;
  const out = Float64Array.from(values);
  if (n < 3) return out;
  const diffs = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) diffs[i - 1] = Math.abs((values[i] as number) - (values[i - 1] as number));
  diffs.sort();
  const sigma = (1.4826 * medianOfSorted(diffs)) / Math.SQRT2;
  if (!(sigma > 0)) return out;
  const limit = k * sigma;
  // The window [i − h, i + h] (cut at the ends) kept sorted as it slides: one removal and one
  // insertion per step, each a shift of at most 2h + 1 values.
  const sorted = new Float64Array(2 * halfWidth + 1);
  let count = 0;
  const insert = (v: number): void => {
    let k = count - 1;
    while (k >= 0 && (sorted[k] as number) > v) {
      sorted[k + 1] = sorted[k] as number;
      k--;
    }
    sorted[k + 1] = v;
    count++;
  };
  const remove = (v: number): void => {
    let k = 0;
    while (k < count - 1 && sorted[k] !== v) k++;
    for (; k < count - 1; k++) sorted[k] = sorted[k + 1] as number;
    count--;
  };
  for (let j = 0; j < Math.min(n, halfWidth + 1); j++) insert(values[j] as number);
  for (let i = 0; i < n; i++) {
    const median = medianOfSorted(sorted, count);
    const v = values[i] as number;
    out[i] = v > median + limit ? median + limit : v < median - limit ? median - limit : v;
    if (i - halfWidth >= 0) remove(values[i - halfWidth] as number);
    if (i + halfWidth + 1 < n) insert(values[i + halfWidth + 1] as number);
  }
  return out;
}

function medianOfSorted(sorted: Float64Array, n = sorted.length): number {
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
