/**
 * Fixed-memory histogram of durations in milliseconds, for percentiles once the exact window has
 * overflowed.
 *
 * Log-linear buckets read straight off the bits of the double: each power of two from 2^-20 ms
 * (about 1 ns) up to 2^32 ms (about 50 days) is split into 1 024 equal buckets, indexed by the
 * exponent and the top 10 bits of the mantissa. Recording is a store, a load, a shift and an
 * increment: no logarithm and no native call (perf_hooks' HDR histogram cost 25-50 ns per record
 * on the monitor's hot path, this about nothing; bench/startStop.ts). A bucket is 2^-10 (0.098 %)
 * of its value wide and a percentile is reported at its bucket's midpoint, so it lies within
 * 0.049 % of the true nearest-rank value. Values below 2^-20 ms count in the first bucket, values
 * above 2^32 ms in the last; callers clamp a percentile to the exact min and max.
 *
 * Memory: 53 × 1 024 counts of 8 bytes (434 KB), whatever the number of records.
 */
const SUB_BITS = 10;
const SUB_BUCKETS = 1 << SUB_BITS;
/** Biased exponent of 2^-20, the first power of two with its own buckets. */
const LOWEST_EXPONENT = 1023 - 20;
const EXPONENTS = 53;
export const BUCKET_COUNT = EXPONENTS * SUB_BUCKETS;

/** A double's bits through a shared view: [HIGH_WORD] holds sign, exponent and the top 20 mantissa bits. */
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const FIRST_INDEX = LOWEST_EXPONENT << SUB_BITS;

/** Bucket of a duration (ms). */
export function bucketOf(durationMs: number): number {
  scratch[0] = durationMs;
  const index = (words[HIGH_WORD] as number) >>> (20 - SUB_BITS);
  const bucket = index - FIRST_INDEX;
  if (bucket < 0 || !(durationMs > 0)) return 0;
  return bucket < BUCKET_COUNT ? bucket : BUCKET_COUNT - 1;
}

/** Midpoint (ms) of a bucket's range. */
export function bucketMidpoint(bucket: number): number {
  const power = 2 ** ((bucket >> SUB_BITS) + LOWEST_EXPONENT - 1023);
  return power * (1 + ((bucket & (SUB_BUCKETS - 1)) + 0.5) / SUB_BUCKETS);
}

/**
 * Smallest duration (ms) in a bucket: bucketOf(v) === b exactly when
 * bucketLowerEdge(b) <= v < bucketLowerEdge(b + 1). The first bucket starts at -Infinity (it takes zero
 * and negatives), the last ends at +Infinity.
 */
export function bucketLowerEdge(bucket: number): number {
  if (bucket <= 0) return Number.NEGATIVE_INFINITY;
  if (bucket >= BUCKET_COUNT) return Number.POSITIVE_INFINITY;
  const power = 2 ** ((bucket >> SUB_BITS) + LOWEST_EXPONENT - 1023);
  return power * (1 + (bucket & (SUB_BUCKETS - 1)) / SUB_BUCKETS);
}

export class LogLinearHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;

  get count(): number {
    return this.total;
  }

  record(durationMs: number): void {
    const bucket = bucketOf(durationMs);
    this.counts[bucket] = (this.counts[bucket] as number) + 1;
    this.total++;
  }

  /**
   * For each 0-based rank (ascending, each < count): the bucket holding the value of that rank and
   * how many values lie in buckets below it, so a caller holding the values themselves only has to
   * search that bucket's few values (RunningSummary's exact percentiles).
   */
  locateRanks(ranks: readonly number[]): { bucket: number; below: number; inBucket: number }[] {
    const out: { bucket: number; below: number; inBucket: number }[] = [];
    let seen = 0;
    let next = 0;
    for (let bucket = 0; bucket < BUCKET_COUNT && next < ranks.length; bucket++) {
      const inBucket = this.counts[bucket] as number;
      seen += inBucket;
      while (next < ranks.length && (ranks[next] as number) < seen) {
        out.push({ bucket, below: seen - inBucket, inBucket });
        next++;
      }
    }
    return out;
  }

  /**
   * The values at the given 0-based nearest-rank indexes (ascending, each < count): the midpoint of
   * the bucket holding the value of that rank. One pass over the buckets for all of them.
   */
  valuesAtRanks(ranks: readonly number[]): number[] {
    return this.locateRanks(ranks).map((located) => bucketMidpoint(located.bucket));
  }
}
