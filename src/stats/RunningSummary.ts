import { nearestRankIndex } from './percentile';
import { selectInPlace, selectMany } from './select';
import { bucketLowerEdge, LogLinearHistogram } from './LogLinearHistogram';

/** The statistics a report carries; durations in milliseconds. */
export interface DurationSummary {
  count: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  stddevMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** True when the percentiles are exact (nearest rank over every duration); false when they come from the histogram. */
  p95Exact: boolean;
}

const INITIAL_RING = 1024;
/** p50, p90, p95, p99: the percentiles a summary reports. */
const REPORTED_QUANTILES = [0.5, 0.9, 0.95, 0.99];
/**
 * From this many durations on, exact percentiles select among the few durations in the histogram
 * bucket of each rank instead of over the whole ring: a quickselect over 100 000 durations took
 * 1.8 ms a report, the narrowed search a fraction of that (bench/getReport.ts).
 */
const NARROW_FROM = 4096;

/**
 * Fixed-memory summary of a stream of durations.
 *
 * - count, mean, σ (Welford), min and max are exact over all time, as plain numbers.
 * - The most recent `window` durations are kept in a Float64Array ring; while every duration
 *   fits in it, percentiles are exact (nearest rank).
 * - Every duration also goes into a log-linear histogram (LogLinearHistogram: within 0.049 % of the
 *   nearest-rank value) that answers percentiles once the ring has overflowed; the report then says
 *   `p95Exact: false`.
 * - Exact percentiles of a large ring use the histogram to find which bucket holds each rank, then
 *   select the rank among that bucket's durations only (exactPercentiles).
 *
 * Memory: 8 bytes per window slot plus 434 KB of histogram, whatever the number of records.
 */
export class RunningSummary {
  private ring: Float64Array;
  private next = 0;
  private size = 0;
  private count = 0;
  private mean = 0;
  private m2 = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private readonly histogram = new LogLinearHistogram();
  private cached: DurationSummary | undefined;

  constructor(readonly window: number) {
    this.ring = new Float64Array(Math.min(window, INITIAL_RING));
  }

  add(durationMs: number): void {
    const n = ++this.count;
    const delta = durationMs - this.mean;
    this.mean += delta / n;
    this.m2 += delta * (durationMs - this.mean);
    if (durationMs < this.min) this.min = durationMs;
    if (durationMs > this.max) this.max = durationMs;
    if (this.next === this.ring.length && this.ring.length < this.window) this.grow();
    this.ring[this.next] = durationMs;
    this.next = this.next + 1 === this.window ? 0 : this.next + 1;
    if (this.size < this.window) this.size++;
    this.histogram.record(durationMs);
    this.cached = undefined;
  }

  /** Durations of the most recent `window` runs, oldest first (a copy). */
  recent(): Float64Array {
    if (this.size < this.window) return this.ring.slice(0, this.size);
    const out = new Float64Array(this.size);
    out.set(this.ring.subarray(this.next, this.size), 0);
    out.set(this.ring.subarray(0, this.next), this.size - this.next);
    return out;
  }

  summary(): DurationSummary {
    if (this.cached) return { ...this.cached };
    const count = this.count;
    let result: DurationSummary;
    if (count === 0) {
      result = { count, meanMs: 0, minMs: 0, maxMs: 0, stddevMs: 0, p50Ms: 0, p90Ms: 0, p95Ms: 0, p99Ms: 0, p95Exact: true };
    } else {
      const base = {
        count,
        meanMs: this.mean,
        minMs: this.min,
        maxMs: this.max,
        stddevMs: count > 1 ? Math.sqrt(this.m2 / (count - 1)) : 0,
      };
      const ranks = REPORTED_QUANTILES.map((q) => nearestRankIndex(q, count));
      if (count <= this.size) {
        // Every duration is in the ring (count === size).
        const [p50Ms, p90Ms, p95Ms, p99Ms] = this.exactPercentiles(ranks) as [number, number, number, number];
        result = { ...base, p50Ms, p90Ms, p95Ms, p99Ms, p95Exact: true };
      } else {
        const values = this.histogram.valuesAtRanks(ranks);
        // Clamp to the exact extremes: a bucket's midpoint may lie a hair outside them.
        const [p50Ms, p90Ms, p95Ms, p99Ms] = values.map((v) => Math.min(this.max, Math.max(this.min, v))) as [
          number,
          number,
          number,
          number,
        ];
        result = { ...base, p50Ms, p90Ms, p95Ms, p99Ms, p95Exact: false };
      }
    }
    this.cached = result;
    return { ...result };
  }

  /**
   * Nearest-rank values at `ranks` (ascending) while every duration is in the ring. The histogram
   * holds the same durations, so it says which bucket holds each rank and how many durations lie
   * below that bucket; one pass over the ring gathers those buckets' durations, and the rank is
   * selected among them. The result is the exact value, as a full selection would give.
   */
  private exactPercentiles(ranks: readonly number[]): number[] {
    const count = this.count;
    if (count < NARROW_FROM) return selectMany(this.ring.slice(0, count), ranks);
    const located = this.histogram.locateRanks(ranks);
    // Ranks sharing a bucket share its candidates: at most REPORTED_QUANTILES.length distinct buckets,
    // ascending, each the durations in [from, to). Comparisons against those edges are all the pass does.
    const buckets: number[] = [];
    for (const { bucket } of located) if (buckets[buckets.length - 1] !== bucket) buckets.push(bucket);
    const from = Float64Array.from(buckets, bucketLowerEdge);
    const to = Float64Array.from(buckets, (b) => bucketLowerEdge(b + 1));
    const candidates = located
      .filter(({ bucket }, i) => located[i - 1]?.bucket !== bucket)
      .map(({ inBucket }) => new Float64Array(inBucket));
    const filled = new Uint32Array(buckets.length);
    const first = from[0] as number;
    const end = to[buckets.length - 1] as number;
    const ring = this.ring;
    for (let i = 0; i < count; i++) {
      const value = ring[i] as number;
      if (value < first || value >= end) continue;
      // value < end: some to[k] lies above it.
      let k = 0;
      while (value >= (to[k] as number)) k++;
      if (value < (from[k] as number)) continue;
      (candidates[k] as Float64Array)[filled[k] as number] = value;
      filled[k] = (filled[k] as number) + 1;
    }
    return located.map(({ bucket, below }, i) =>
      selectInPlace(candidates[buckets.indexOf(bucket)] as Float64Array, (ranks[i] as number) - below),
    );
  }

  private grow(): void {
    const bigger = new Float64Array(Math.min(this.window, this.ring.length * 2));
    bigger.set(this.ring);
    this.ring = bigger;
  }
}
