import { BUCKET_COUNT, LogLinearHistogram, bucketLowerEdge, bucketMidpoint, bucketOf } from '../LogLinearHistogram';
import { nearestRankIndex } from '../percentile';

/** Deterministic uniform (0, 1) numbers. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return (x + 0.5) / 2 ** 32;
  };
}

const HALF_BUCKET = 2 ** -11;

test('bucket edges: 1 ms opens a bucket, 1 + 1/1024 ms the next; each power of two has 1 024', () => {
  const one = bucketOf(1);
  expect(bucketOf(1 + 2 ** -10)).toBe(one + 1);
  expect(bucketOf(1 + 2 ** -10 - 2 ** -40)).toBe(one);
  expect(bucketOf(2)).toBe(one + 1024);
  expect(bucketOf(0.5)).toBe(one - 1024);
  // 1 ms is 2^0: the 21st power of two from 2^-20.
  expect(one).toBe(20 * 1024);
  expect(bucketMidpoint(one)).toBe(1 + 0.5 / 1024);
});

test('out of range: zero, negatives, tiny values go to the first bucket, huge ones to the last', () => {
  expect(bucketOf(0)).toBe(0);
  expect(bucketOf(-5)).toBe(0);
  expect(bucketOf(Number.NaN)).toBe(0);
  expect(bucketOf(1e-9)).toBe(0);
  expect(bucketOf(2 ** -20)).toBe(0);
  expect(bucketOf(2 ** 33)).toBe(BUCKET_COUNT - 1);
  expect(bucketOf(Number.POSITIVE_INFINITY)).toBe(BUCKET_COUNT - 1);
  const h = new LogLinearHistogram();
  for (const v of [0, -1, 1e-12, 2 ** 40]) h.record(v);
  expect(h.count).toBe(4);
  expect(h.valuesAtRanks([0, 1, 2, 3]).map(bucketOf)).toEqual([0, 0, 0, BUCKET_COUNT - 1]);
});

test('every value lies within half a bucket (2^-11, 0.049 %) of its bucket midpoint', () => {
  const rand = lcg(7);
  let worst = 0;
  for (let i = 0; i < 200_000; i++) {
    // Log-uniform over the whole range, 1 ns to 49 days.
    const v = 2 ** (-20 + 52 * rand());
    worst = Math.max(worst, Math.abs(bucketMidpoint(bucketOf(v)) - v) / v);
  }
  expect(worst).toBeLessThanOrEqual(HALF_BUCKET);
  expect(worst).toBeGreaterThan(HALF_BUCKET * 0.9);
});

test('percentiles of 200 000 lognormal durations: within 0.049 % of the exact nearest-rank values', () => {
  const rand = lcg(42);
  const values = new Float64Array(200_000);
  const h = new LogLinearHistogram();
  for (let i = 0; i < values.length; i++) {
    // Box-Muller: median 800 ms, σ(log) 0.8.
    const z = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
    values[i] = 800 * Math.exp(0.8 * z);
    h.record(values[i] as number);
  }
  const sorted = values.slice().sort();
  const qs = [0.001, 0.5, 0.9, 0.95, 0.99, 1];
  const ranks = qs.map((q) => nearestRankIndex(q, values.length));
  const got = h.valuesAtRanks(ranks);
  expect(got).toHaveLength(qs.length);
  ranks.forEach((rank, i) => {
    const exact = sorted[rank] as number;
    expect(Math.abs((got[i] as number) - exact) / exact).toBeLessThanOrEqual(HALF_BUCKET);
  });
});

test('hand-computed: 1, 2, 3, 4 ms and a 100 ms outlier', () => {
  const h = new LogLinearHistogram();
  for (const v of [3, 1, 100, 2, 4]) h.record(v);
  // Nearest rank: p50 → index 2 (3 ms), p95 → index 4 (100 ms); each reported at its bucket's midpoint.
  const [p50, p95] = h.valuesAtRanks([nearestRankIndex(0.5, 5), nearestRankIndex(0.95, 5)]);
  expect(p50).toBe(3 + 1 / 1024); // 3 = 2 · 1.5: the bucket [3, 3 + 2/1024) of the power 2
  expect(p95).toBe(64 * (1 + (576 + 0.5) / 1024)); // 100 = 64 · 1.5625: sub-bucket 576
  expect(h.valuesAtRanks([])).toEqual([]);
});

test('bucketLowerEdge(b) is the smallest value bucketOf puts in bucket b', () => {
  for (const b of [1, 2, 1023, 1024, 20 * 1024, 30_279, BUCKET_COUNT - 1]) {
    const edge = bucketLowerEdge(b);
    expect(bucketOf(edge)).toBe(b);
    // The double just below the edge belongs to the bucket before.
    expect(bucketOf(edge * (1 - 2 ** -52))).toBe(b - 1);
  }
  expect(bucketLowerEdge(0)).toBe(Number.NEGATIVE_INFINITY);
  expect(bucketLowerEdge(BUCKET_COUNT)).toBe(Number.POSITIVE_INFINITY);
});
