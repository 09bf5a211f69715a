/**
 * Descriptive statistics over a sample of durations, as hyperfine reports them. Pure functions;
 * none mutates its input. Definitions:
 * - mean: arithmetic mean.
 * - stddev: sample standard deviation (divisor n − 1); 0 for fewer than two values.
 * - median: middle value, or the mean of the two middle values for an even count.
 * - p95: the project's nearest-rank rule (see percentile.ts), never interpolated.
 */
import { percentileOfSorted } from './percentile';

/** Arithmetic mean; 0 for no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation (divisor n − 1); 0 for fewer than two values. */
export function stddev(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return Math.sqrt(ss / (n - 1));
}

export function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Middle value, or the mean of the two middle values for an even count; 0 for no values. */
export function median(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return 0;
  const s = sortedCopy(values);
  const mid = n >> 1;
  return n % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median absolute deviation from the median (unscaled). */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

export interface SampleSummary {
  count: number;
  meanMs: number;
  stddevMs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  p95Ms: number;
}

/** Count, mean, standard deviation, median, min, max and p95 (nearest rank) of `values`, in their unit (ms). */
export function summarize(values: readonly number[]): SampleSummary {
  const s = sortedCopy(values);
  return {
    count: s.length,
    meanMs: mean(s),
    stddevMs: stddev(s),
    medianMs: median(s),
    minMs: s.length ? (s[0] as number) : 0,
    maxMs: s.length ? (s[s.length - 1] as number) : 0,
    p95Ms: percentileOfSorted(s, 0.95),
  };
}
