/**
 * Ordinary least squares, y = X·β + ε (pure functions; calibrate's per-operation costs).
 *
 * β̂ solves the normal equations (XᵀX)·β = Xᵀy by Gauss-Jordan elimination with partial pivoting
 * (the systems here have a dozen columns at most). With p columns and n rows, σ̂² = RSS / (n − p),
 * the standard error of β̂ⱼ is √(σ̂² · [(XᵀX)⁻¹]ⱼⱼ), and its interval at `level` is
 * β̂ⱼ ± t(1 − α/2, n − p) · se: exact under normal, independent errors of one variance.
 * R² = 1 − RSS / TSS, TSS about the mean of y (the model is expected to hold an intercept column).
 */
import { studentTQuantile } from './distributions';
import { DEFAULT_LEVEL, type Interval } from './intervals';

export interface LeastSquaresFit {
  /** β̂, one per column of X. */
  coefficients: number[];
  /** Standard errors of β̂ (NaN without residual degrees of freedom). */
  standardErrors: number[];
  /** The interval of each coefficient at `level` (low = high = estimate without residual degrees of freedom). */
  intervals: Interval[];
  /** Residual degrees of freedom, n − p. */
  df: number;
  /** Residual standard deviation σ̂. */
  residualSd: number;
  /** 1 − RSS/TSS; 1 when y does not vary. */
  rSquared: number;
}

/** The inverse of a square matrix, or null when it is singular (a column that no row measures). */
export function invert(matrix: readonly (readonly number[])[]): number[][] | null {
  const n = matrix.length;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  const scale = Math.max(...matrix.flat().map(Math.abs), 0);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs((a[r] as number[])[col] as number) > Math.abs((a[pivot] as number[])[col] as number)) pivot = r;
    const pivotRow = a[pivot] as number[];
    if (Math.abs(pivotRow[col] as number) <= scale * 1e-12) return null;
    [a[col], a[pivot]] = [pivotRow, a[col] as number[]];
    const p = pivotRow[col] as number;
    for (let c = 0; c < 2 * n; c++) pivotRow[c] = (pivotRow[c] as number) / p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const row = a[r] as number[];
      const factor = row[col] as number;
      if (factor === 0) continue;
      for (let c = 0; c < 2 * n; c++) row[c] = (row[c] as number) - factor * (pivotRow[c] as number);
    }
  }
  return a.map((row) => row.slice(n));
}

/**
 * Fits y = X·β by least squares. Throws a RangeError when the rows do not all have the columns'
 * length, when there are fewer rows than columns, or when XᵀX is singular.
 */
export function leastSquares(x: readonly (readonly number[])[], y: readonly number[], level = DEFAULT_LEVEL): LeastSquaresFit {
  const n = y.length;
  const p = x[0]?.length ?? 0;
  if (x.length !== n || p === 0 || x.some((row) => row.length !== p)) {
    throw new RangeError(`leastSquares needs one row of the same length per value, got ${x.length} rows for ${n} values`);
  }
  if (n < p) throw new RangeError(`leastSquares needs at least as many rows as columns, got ${n} rows for ${p} columns`);
  const xtx = Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (_, j) => x.reduce((sum, row) => sum + (row[i] as number) * (row[j] as number), 0)),
  );
  const inverse = invert(xtx);
  if (inverse === null) throw new RangeError('leastSquares: the columns are linearly dependent (a column no row varies)');
  const xty = Array.from({ length: p }, (_, i) => x.reduce((sum, row, r) => sum + (row[i] as number) * (y[r] as number), 0));
  const coefficients = inverse.map((row) => row.reduce((sum, v, j) => sum + v * (xty[j] as number), 0));
  const fitted = x.map((row) => row.reduce((sum, v, j) => sum + v * (coefficients[j] as number), 0));
  const rss = y.reduce((sum, v, r) => sum + (v - (fitted[r] as number)) ** 2, 0);
  const meanY = y.reduce((a, b) => a + b, 0) / n;
  const tss = y.reduce((sum, v) => sum + (v - meanY) ** 2, 0);
  const df = n - p;
  const variance = df > 0 ? rss / df : Number.NaN;
  const standardErrors = inverse.map((row, j) => Math.sqrt(variance * (row[j] as number)));
  const t = df > 0 ? studentTQuantile(1 - (1 - level) / 2, df) : Number.NaN;
  const intervals = coefficients.map((estimate, j) => {
    const margin = df > 0 ? t * (standardErrors[j] as number) : 0;
    return { estimate, low: estimate - margin, high: estimate + margin, level, method: 'least-squares t' };
  });
  return { coefficients, standardErrors, intervals, df, residualSd: Math.sqrt(variance), rSquared: tss === 0 ? 1 : 1 - rss / tss };
}

/**
 * The difference a − b of two independent estimates, with its standard error, Welch-Satterthwaite's
 * degrees of freedom and its interval (the t quantile at those degrees of freedom).
 */
export function welchDifference(
  a: { estimate: number; se: number; df: number },
  b: { estimate: number; se: number; df: number },
  level = DEFAULT_LEVEL,
): { estimate: number; se: number; df: number; interval: Interval } {
  const estimate = a.estimate - b.estimate;
  const va = a.se ** 2;
  const vb = b.se ** 2;
  const se = Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / a.df + vb ** 2 / b.df);
  const margin = se > 0 && Number.isFinite(df) && df > 0 ? studentTQuantile(1 - (1 - level) / 2, df) * se : 0;
  return { estimate, se, df, interval: { estimate, low: estimate - margin, high: estimate + margin, level, method: 'welch t' } };
}

/** welchDifference's interval. */
export function differenceInterval(
  a: { estimate: number; se: number; df: number },
  b: { estimate: number; se: number; df: number },
  level = DEFAULT_LEVEL,
): Interval {
  return welchDifference(a, b, level).interval;
}
