import type { SampleMoments } from './studentT';

/**
 * A series read range by range: the values at indexes [start, end) written into `out` from 0.
 * Lets the change-point detector work on values it derives on demand (the clipped log series)
 * instead of arrays as long as the series.
 */
export interface SeriesSource {
  readonly length: number;
  fill(start: number, end: number, out: Float64Array): void;
}

/** A plain array (or typed array) as a source, each value multiplied by `factor` (a power of two: exact). */
export function arraySource(values: ArrayLike<number>, factor = 1): SeriesSource {
  return {
    length: values.length,
    fill(start, end, out) {
      for (let i = start; i < end; i++) out[i - start] = (values[i] as number) * factor;
    },
  };
}

/** Values per block of the running sums: memory is 32 bytes per block, a query reads at most two partial blocks. */
const BLOCK = 32;

/** Neumaier's step: the rounding error of `total + x`, which a compensated sum keeps aside. */
function lostAdding(total: number, x: number, sum: number): number {
  return Math.abs(total) >= Math.abs(x) ? total - sum + x : x - sum + total;
}

/**
 * Count, mean and sample variance of any range of a series in O(1) plus two partial blocks, from
 * running sums of the values and of their squares kept once per block of 32 (a 100-million-value
 * series needs 100 MB of sums, not 1.6 GB). The sums are compensated (Neumaier), and the values
 * shifted by the series' first value before summing, so that a large common level (durations
 * around 10 000 ms that vary by a few ms) does not cancel the variance away in Σx² − (Σx)²/n.
 * `factor` is the power of two the values are (or, for a source, were) scaled by (powerScale.ts) so
 * that no sum overflows: means and variances are
 * given back in the series' own units.
 */
export class SegmentMoments {
  private readonly source: SeriesSource;
  private readonly factor: number;
  private readonly shift: number;
  private readonly sum: Float64Array;
  private readonly sumLow: Float64Array;
  private readonly squares: Float64Array;
  private readonly squaresLow: Float64Array;
  private readonly scratch = new Float64Array(BLOCK);

  constructor(values: ArrayLike<number> | SeriesSource, factor = 1) {
    this.source = isSource(values) ? values : arraySource(values, factor);
    this.factor = factor;
    const n = this.source.length;
    const blocks = Math.floor(n / BLOCK);
    this.sum = new Float64Array(blocks + 1);
    this.sumLow = new Float64Array(blocks + 1);
    this.squares = new Float64Array(blocks + 1);
    this.squaresLow = new Float64Array(blocks + 1);
    const first = new Float64Array(1);
    if (n > 0) this.source.fill(0, 1, first);
    this.shift = first[0] as number;
    let sum = 0;
    let sumLow = 0;
    let squares = 0;
    let squaresLow = 0;
    for (let b = 0; b < blocks; b++) {
      this.source.fill(b * BLOCK, (b + 1) * BLOCK, this.scratch);
      for (let i = 0; i < BLOCK; i++) {
        const v = (this.scratch[i] as number) - this.shift;
        const nextSum = sum + v;
        sumLow += lostAdding(sum, v, nextSum);
        sum = nextSum;
        const nextSquares = squares + v * v;
        squaresLow += lostAdding(squares, v * v, nextSquares);
        squares = nextSquares;
      }
      this.sum[b + 1] = sum;
      this.sumLow[b + 1] = sumLow;
      this.squares[b + 1] = squares;
      this.squaresLow[b + 1] = squaresLow;
    }
  }

  /** Σ(v − shift) and Σ(v − shift)² over [start, end) within one block, read from the source, added to `partSum`, `partSquares`. */
  private partSum = 0;
  private partSquares = 0;
  private partial(start: number, end: number): void {
    if (end <= start) return;
    this.source.fill(start, end, this.scratch);
    for (let i = 0; i < end - start; i++) {
      const v = (this.scratch[i] as number) - this.shift;
      this.partSum += v;
      this.partSquares += v * v;
    }
  }

  /** The values at indexes from `start` (inclusive) to `end` (exclusive); variance 0 below two values. */
  of(start: number, end: number): SampleMoments {
    const count = end - start;
    if (count <= 0) return { count: 0, mean: 0, variance: 0 };
    const firstBlock = Math.ceil(start / BLOCK);
    const lastBlock = Math.floor(end / BLOCK);
    // The head and the tail (each shorter than a block) from the source, whole blocks from the sums.
    const headEnd = Math.min(end, firstBlock * BLOCK);
    const tailStart = Math.max(headEnd, lastBlock * BLOCK);
    this.partSum = 0;
    this.partSquares = 0;
    this.partial(start, headEnd);
    this.partial(tailStart, end);
    let s = this.partSum;
    let q = this.partSquares;
    if (firstBlock < lastBlock) {
      s += (this.sum[lastBlock] as number) - (this.sum[firstBlock] as number);
      s += (this.sumLow[lastBlock] as number) - (this.sumLow[firstBlock] as number);
      q += (this.squares[lastBlock] as number) - (this.squares[firstBlock] as number);
      q += (this.squaresLow[lastBlock] as number) - (this.squaresLow[firstBlock] as number);
    }
    const mean = s / count;
    // Rounding can leave a hair below zero for a constant range.
    const variance = count > 1 ? Math.max(0, (q - s * mean) / (count - 1)) : 0;
    return { count, mean: (mean + this.shift) / this.factor, variance: variance / this.factor / this.factor };
  }
}

function isSource(values: ArrayLike<number> | SeriesSource): values is SeriesSource {
  return typeof (values as Partial<SeriesSource>).fill === 'function' && !ArrayBuffer.isView(values) && !Array.isArray(values);
}
