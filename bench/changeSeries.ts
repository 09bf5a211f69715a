import { prng } from './harness';

/**
 * Synthetic series with known change points, for the quality bench and its test: lognormal noise
 * around a level (the shape of run durations), the level moved by steps at chosen indexes.
 */
export interface KnownSeries {
  values: Float64Array;
  /** Indexes of the first value after each true change. */
  changes: number[];
}

/** Standard normal deviates from a seeded PRNG (Box–Muller). */
export function normals(seed: number): () => number {
  const next = prng(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  };
}

export interface SeriesShape {
  length: number;
  /** σ of the log of the noise (0.1 ≈ 10 % coefficient of variation). */
  sigma: number;
  /** Level (the median of the noise) at index i. */
  level: (i: number) => number;
  /** σ of the log at index i, when it changes. @default sigma everywhere */
  sigmaAt?: (i: number) => number;
  /** Fraction of values replaced by an outlier `outlierFactor` × the level. @default 0 */
  outliers?: number;
  outlierFactor?: number;
}

export function generate(shape: SeriesShape, seed: number): Float64Array {
  const z = normals(seed);
  const uniform = prng(seed ^ 0x5bd1e995);
  const out = new Float64Array(shape.length);
  for (let i = 0; i < shape.length; i++) {
    const sigma = shape.sigmaAt?.(i) ?? shape.sigma;
    // exp(σz − σ²/2) has mean 1: a change of σ alone leaves the mean where it was.
    let v = shape.level(i) * Math.exp(sigma * z() - (sigma * sigma) / 2);
    if (shape.outliers !== undefined && uniform() < shape.outliers) v = shape.level(i) * (shape.outlierFactor ?? 5);
    out[i] = v;
  }
  return out;
}

/** Segments of 80 to 240 points, the level moving by ±`step` (alternating) at each boundary. */
export function steps(seed: number, step: number, segments: number, sigma: number, outliers = 0): KnownSeries {
  const next = prng(seed * 7919 + 1);
  const changes: number[] = [];
  const levels: number[] = [];
  let at = 0;
  let level = 1000;
  for (let k = 0; k < segments; k++) {
    if (k > 0) changes.push(at);
    const length = 80 + Math.floor(next() * 161);
    for (let i = 0; i < length; i++) levels.push(level);
    at += length;
    level *= k % 2 === 0 ? 1 + step : 1 / (1 + step);
  }
  const values = generate({ length: levels.length, sigma, level: (i) => levels[i] as number, outliers, outlierFactor: 5 }, seed);
  return { values, changes };
}
