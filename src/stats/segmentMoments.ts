import type { SampleMoments } from './studentT';

/**
 * Count, mean and sample variance of any range of a series in O(1), from prefix sums of the
 * values and of their squares. The values are shifted by the series' first value before
 * summing, so that a large common level (durations around 10 000 ms that vary by a few ms)
 * does not cancel the variance away in Σx² − (Σx)²/n.
 */
export class SegmentMoments {
  private readonly sum: Float64Array;
  private readonly squares: Float64Array;
  private readonly shift: number;

  constructor(values: ArrayLike<number>) {
    const n = values.length;
    this.shift = n > 0 ? (values[0] as number) : 0;
    this.sum = new Float64Array(n + 1);
    this.squares = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const v = (values[i] as number) - this.shift;
      this.sum[i + 1] = (this.sum[i] as number) + v;
      this.squares[i + 1] = (this.squares[i] as number) + v * v;
    }
  }

  /** The values at indexes from `start` (inclusive) to `end` (exclusive); variance 0 below two values. */
  of(start: number, end: number): SampleMoments {
    const count = end - start;
    if (count <= 0) return { count: 0, mean: 0, variance: 0 };
    const s = (this.sum[end] as number) - (this.sum[start] as number);
    const q = (this.squares[end] as number) - (this.squares[start] as number);
    const mean = s / count;
    // Rounding can leave a hair below zero for a constant range.
    const variance = count > 1 ? Math.max(0, (q - s * mean) / (count - 1)) : 0;
    return { count, mean: mean + this.shift, variance };
  }
}
