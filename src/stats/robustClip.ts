import { medianOfScan } from './radixSelect';
import type { SeriesSource } from './segmentMoments';

/**
 * Outliers limited before testing: each value is clipped to its local median (over 2h + 1
 * neighbours) ± k·σ̂, with σ̂ the noise estimated robustly from the series' first differences
 * (1.4826 · MAD of (xᵢ − xᵢ₋₁) / √2: a few level shifts and outliers barely move it). A single
 * slow run then weighs like any other slow run, while a lasting shift is untouched: its values
 * sit near their local median.
 *
 * `ClippedSeries` gives the clipped values of `transform(values[i])` range by range, computed
 * when asked, so that the detector holds nothing as long as the series (issue 23: its copies of
 * a 31-million-value series took 2.36 GB); σ̂ comes from an exact median found without storing
 * the differences (radixSelect.ts).
 */
export class ClippedSeries implements SeriesSource {
  readonly length: number;
  private readonly limit: number;
  /** The window [i − h, i + h] (cut at the ends), kept sorted as it slides. */
  private readonly sorted: Float64Array;
  private count = 0;

  constructor(
    private readonly values: ArrayLike<number>,
    private readonly transform: (value: number) => number = (v) => v,
    private readonly halfWidth = 6,
    k = 4,
  ) {
    const n = values.length;
    this.length = n;
    this.sorted = new Float64Array(2 * halfWidth + 1);
    let sigma = 0;
    if (n >= 3) {
      const scan = (visit: (value: number) => void): void => {
        let previous = transform(values[0] as number);
        for (let i = 1; i < n; i++) {
          const current = transform(values[i] as number);
          visit(Math.abs(current - previous));
          previous = current;
        }
      };
      sigma = (1.4826 * medianOfScan(n - 1, scan)) / Math.SQRT2;
    }
    // No noise to speak of (or too few values): nothing is clipped.
    this.limit = sigma > 0 ? k * sigma : Number.POSITIVE_INFINITY;
  }

  private insert(v: number): void {
    let k = this.count - 1;
    while (k >= 0 && (this.sorted[k] as number) > v) {
      this.sorted[k + 1] = this.sorted[k] as number;
      k--;
    }
    this.sorted[k + 1] = v;
    this.count++;
  }

  private remove(v: number): void {
    let k = 0;
    while (k < this.count - 1 && this.sorted[k] !== v) k++;
    for (; k < this.count - 1; k++) this.sorted[k] = this.sorted[k + 1] as number;
    this.count--;
  }

  /** The transformed values of [start − h, end + h) (cut at the ends), each computed once per fill. */
  private transformed = new Float64Array(0);

  /** The clipped values at [start, end) into `out` from 0: one insertion and one removal per value after the first. */
  fill(start: number, end: number, out: Float64Array): void {
    const n = this.length;
    const h = this.halfWidth;
    if (this.limit === Number.POSITIVE_INFINITY) {
      for (let i = start; i < end; i++) out[i - start] = this.transform(this.values[i] as number);
      return;
    }
    const from = Math.max(0, start - h);
    const to = Math.min(n, end + h);
    if (this.transformed.length < to - from) this.transformed = new Float64Array(Math.max(to - from, 2 * this.transformed.length));
    const t = this.transformed;
    for (let j = from; j < to; j++) t[j - from] = this.transform(this.values[j] as number);
    this.count = 0;
    for (let j = from; j <= Math.min(n - 1, start + h); j++) this.insert(t[j - from] as number);
    for (let i = start; i < end; i++) {
      const mid = this.count >> 1;
      const median =
        this.count % 2 === 1 ? (this.sorted[mid] as number) : ((this.sorted[mid - 1] as number) + (this.sorted[mid] as number)) / 2;
      const v = t[i - from] as number;
      out[i - start] = v > median + this.limit ? median + this.limit : v < median - this.limit ? median - this.limit : v;
      if (i - h >= 0) this.remove(t[i - h - from] as number);
      if (i + h + 1 < n) this.insert(t[i + h + 1 - from] as number);
    }
  }
}

/** The clipped series as a new array (the detector reads it range by range instead). */
export function clipOutliers(values: ArrayLike<number>, halfWidth = 6, k = 4): Float64Array {
  const out = new Float64Array(values.length);
  new ClippedSeries(values, (v) => v, halfWidth, k).fill(0, values.length, out);
  return out;
}
