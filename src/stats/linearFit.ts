/**
 * A straight line through measurements taken at several sizes, y = a + b·x, with 95 % intervals
 * for a, b and the line's value at any x (pure functions, any units in, the same units out).
 *
 * Each size brings several values (one per round). The spread of run times grows with the size
 * of the work, so the fit is weighted least squares with each value weighted by 1 / s²ᵢ, s²ᵢ
 * the sample variance of the values at its size (ordinary least squares when a size has fewer
 * than two values). The weights are taken as known up to a common factor, estimated from the
 * residuals (σ² = Σ wᵢ·rᵢ² / (n − 2)), so the intervals are Student's t with n − 2 degrees of
 * freedom:
 *
 *   b = Sxy / Sxx,  a = ȳ − b·x̄        (weighted means and sums of squares)
 *   Var b = σ² / Sxx,  Var ŷ(x) = σ²·(1 / Σw + (x − x̄)² / Sxx),  a = ŷ(0)
 *
 * Whether a line is the right shape is a separate question, answered by the lack-of-fit F test:
 * the size means' distance from the line against the scatter within each size,
 * F = (SS_lack / (k − 2)) / (SS_pure / (n − k)) with k sizes; its p-value is 1 − I(…) of the F
 * distribution. A small p (< 0.05) says the cost does not grow linearly with the size, and an
 * extrapolation from the line should not be trusted. Needs three sizes or more.
 */
import { regularizedBeta, studentTQuantile } from './distributions';
import { mean } from './descriptive';
import { DEFAULT_LEVEL, type Interval } from './intervals';
import { expectation } from '../validation';

export interface SizedValues {
  size: number;
  values: readonly number[];
}

export interface LinearFit {
  /** The value at size 0: the fixed part. */
  intercept: Interval;
  /** The value per unit of size. */
  slope: Interval;
  /** Values fitted (n) and distinct sizes (k). */
  points: number;
  sizes: number;
  /** Lack-of-fit F test's p-value; null below three sizes or without repeated values. */
  lackOfFitP: number | null;
  /** What `at` needs, kept so a caller can extrapolate to any size. */
  readonly model: LineModel;
}

export interface LineModel {
  a: number;
  b: number;
  sigma2: number;
  weightSum: number;
  meanX: number;
  sxx: number;
  df: number;
  level: number;
}

function sampleVariance(values: readonly number[]): number {
  const m = mean(values);
  return values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1);
}

/** P(F >= f) for F ~ F(d1, d2). */
export function fTailP(f: number, d1: number, d2: number): number {
  if (!(f > 0)) return 1;
  return regularizedBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}

/** The weight of each size's values: 1 / variance, or 1 everywhere when any size cannot give one. */
function weights(groups: readonly SizedValues[]): number[] {
  const variances = groups.map((g) => (g.values.length >= 2 ? sampleVariance(g.values) : NaN));
  if (variances.some((v) => !Number.isFinite(v))) return groups.map(() => 1);
  // A size whose values are all equal would get an infinite weight: floor it at the smallest non-zero variance.
  const positive = variances.filter((v) => v > 0);
  const floor = positive.length > 0 ? Math.min(...positive) : 1;
  return variances.map((v) => 1 / Math.max(v, floor));
}

/**
 * The weighted line through `groups` (see above); null when it cannot be fitted: fewer than two
 * distinct sizes or fewer than three values.
 */
export function fitLine(groups: readonly SizedValues[], level = DEFAULT_LEVEL): LinearFit | null {
  for (const g of groups) {
    if (!Number.isFinite(g.size)) throw new TypeError(expectation('size', 'a finite number', g.size));
    for (const v of g.values) if (!Number.isFinite(v)) throw new TypeError(expectation(`a value at size ${g.size}`, 'a finite number', v));
  }
  const used = groups.filter((g) => g.values.length > 0);
  const n = used.reduce((s, g) => s + g.values.length, 0);
  const k = new Set(used.map((g) => g.size)).size;
  if (k < 2 || n < 3) return null;
  const w = weights(used);
  let weightSum = 0;
  let sx = 0;
  let sy = 0;
  used.forEach((g, i) => {
    const wi = w[i] as number;
    weightSum += wi * g.values.length;
    sx += wi * g.size * g.values.length;
    for (const v of g.values) sy += wi * v;
  });
  const meanX = sx / weightSum;
  const meanY = sy / weightSum;
  let sxx = 0;
  let sxy = 0;
  used.forEach((g, i) => {
    const wi = w[i] as number;
    for (const v of g.values) {
      sxx += wi * (g.size - meanX) ** 2;
      sxy += wi * (g.size - meanX) * (v - meanY);
    }
  });
  const b = sxy / sxx;
  const a = meanY - b * meanX;
  let residual = 0;
  let pure = 0;
  let lack = 0;
  used.forEach((g, i) => {
    const wi = w[i] as number;
    const m = mean(g.values);
    for (const v of g.values) {
      residual += wi * (v - a - b * g.size) ** 2;
      pure += wi * (v - m) ** 2;
    }
    lack += wi * g.values.length * (m - a - b * g.size) ** 2;
  });
  const df = n - 2;
  const model: LineModel = { a, b, sigma2: residual / df, weightSum, meanX, sxx, df, level };
  // Repeated sizes (several groups of one size) count once among the k distinct sizes.
  const lackOfFitP = k >= 3 && n > k && pure > 0 ? fTailP(lack / (k - 2) / (pure / (n - k)), k - 2, n - k) : null;
  const t = studentTQuantile(1 - (1 - level) / 2, df);
  const slopeMargin = t * Math.sqrt(model.sigma2 / sxx);
  return {
    intercept: at(model, 0),
    slope: { estimate: b, low: b - slopeMargin, high: b + slopeMargin, level, method: 'weighted-least-squares' },
    points: n,
    sizes: k,
    lackOfFitP,
    model,
  };
}

/** The line's value at `x` with its confidence interval (of the mean value there, not of one run). */
export function at(model: LineModel, x: number): Interval {
  const estimate = model.a + model.b * x;
  const t = studentTQuantile(1 - (1 - model.level) / 2, model.df);
  const margin = t * Math.sqrt(model.sigma2 * (1 / model.weightSum + (x - model.meanX) ** 2 / model.sxx));
  return { estimate, low: estimate - margin, high: estimate + margin, level: model.level, method: 'weighted-least-squares' };
}
