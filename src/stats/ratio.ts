/**
 * Comparing two samples as hyperfine does: "X ± Y times slower than". The ratio of the means,
 * with the uncertainty propagated from both sides to first order (independent errors):
 *   r = a / b,   σr = r · sqrt((σa / a)² + (σb / b)²)
 * and the absolute difference a − b with σ = sqrt(σa² + σb²) (its own type: a difference in
 * milliseconds is not a ratio). A zero baseline has no ratio: null, never Infinity or NaN.
 */
export interface Ratio {
  ratio: number;
  error: number;
}

export interface Difference {
  difference: number;
  error: number;
}

/** a / b of two means with σ `sa`, `sb`, the error propagated from both; null when either mean is 0. */
export function ratioWithError(a: number, sa: number, b: number, sb: number): Ratio | null {
  if (b === 0 || a === 0) return null;
  const ratio = a / b;
  return { ratio, error: Math.abs(ratio) * Math.sqrt((sa / a) ** 2 + (sb / b) ** 2) };
}

/** a − b of two means with σ `sa`, `sb`, and its σ, sqrt(sa² + sb²). */
export function differenceWithError(a: number, sa: number, b: number, sb: number): Difference {
  return { difference: a - b, error: Math.sqrt(sa * sa + sb * sb) };
}
