/**
 * The E-divisive search of Matteson & James (2014) inside one window of a series, with α = 1:
 * for a range [a, b) of the window, the split τ and the end κ ≤ b that maximize
 *
 *   Q(τ, κ) = n₁n₂ / (n₁ + n₂) · ( 2/(n₁n₂)·X − W(a, τ)/C(n₁, 2) − W(τ, κ)/C(n₂, 2) )
 *
 * with n₁ = τ − a, n₂ = κ − τ, W(i, j) the sum of |xₖ − xₗ| over pairs inside [i, j) and
 * X = W(a, κ) − W(a, τ) − W(τ, κ) the sum over pairs across the split: the energy distance
 * between the two sides, scaled by their sizes. A table of W for every range of the window is
 * built once per window (O(w²) time for w points, in a buffer reused from window to window);
 * each search then costs O(len²) lookups, with no distance computed twice.
 */
export class EnergyWindow {
  private readonly capacity: number;
  /** W(i, j) at i · (capacity + 1) + j, indexes relative to the window's start. */
  private readonly within: Float64Array;
  /** 1 / C(n, 2) = 2 / (n (n − 1)); 0 for n < 2 (no pair). */
  private readonly inversePairs: Float64Array;
  private start = 0;
  private width = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.within = new Float64Array((capacity + 1) * (capacity + 1));
    this.inversePairs = Float64Array.from({ length: capacity + 1 }, (_, n) => (n > 1 ? 2 / (n * (n - 1)) : 0));
  }

  /**
   * Makes [start, end) of `values` the current window (end − start ≤ capacity). `values[0]` is the
   * series' value at index `origin` (a slice the caller filled), so indexes stay the series'.
   */
  load(values: ArrayLike<number>, start: number, end: number, origin = 0): this {
    const w = end - start;
    if (w > this.capacity || w < 0) throw new RangeError(`window of ${w} points exceeds the capacity ${this.capacity}`);
    const stride = this.capacity + 1;
    const within = this.within;
    this.start = origin + start;
    this.width = w;
    for (let i = 0; i <= w; i++) {
      within[i * stride + i] = 0;
      if (i < w) within[i * stride + i + 1] = 0;
    }
    for (let j = 2; j <= w; j++) {
      const last = values[start + j - 1] as number;
      let column = 0;
      // W(i, j) = W(i, j − 1) + Σ_{k=i}^{j−2} |x_k − x_{j−1}|, for i from j − 2 down to 0.
      for (let i = j - 2; i >= 0; i--) {
        column += Math.abs((values[start + i] as number) - last);
        within[i * stride + j] = (within[i * stride + j - 1] as number) + column;
      }
    }
    return this;
  }

  /**
   * The best split of [a, b) (absolute indexes inside the current window) leaving at least
   * `minSegment` points on each side of τ, both up to κ and up to b; undefined when too short.
   */
  bestSplit(a: number, b: number, minSegment: number): { index: number; q: number } | undefined {
    const lo = a - this.start;
    const hi = b - this.start;
    if (lo < 0 || hi > this.width || hi - lo < 2 * minSegment) return undefined;
    const stride = this.capacity + 1;
    const within = this.within;
    const inverse = this.inversePairs;
    const rowA = lo * stride;
    let best = -Infinity;
    let bestTau = -1;
    for (let tau = lo + minSegment; tau <= hi - minSegment; tau++) {
      const n1 = tau - lo;
      const left = within[rowA + tau] as number;
      const leftMean = left * (inverse[n1] as number);
      const rowTau = tau * stride;
      for (let kappa = tau + minSegment; kappa <= hi; kappa++) {
        const n2 = kappa - tau;
        const right = within[rowTau + kappa] as number;
        const across = (within[rowA + kappa] as number) - left - right;
        const total = n1 + n2;
        // n₁n₂/(n₁+n₂) · (2X/(n₁n₂) − …) = (2X − n₁n₂·(…)) / (n₁+n₂)
        const q = (2 * across - n1 * n2 * (leftMean + right * (inverse[n2] as number))) / total;
        if (q > best) {
          best = q;
          bestTau = tau;
        }
      }
    }
    return bestTau < 0 ? undefined : { index: bestTau + this.start, q: best };
  }
}
