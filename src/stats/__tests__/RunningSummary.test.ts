import { RunningSummary } from '../RunningSummary';
import { mulberry32 } from '../prng';

/** The spec's rule, written out: ascending durations, index Math.ceil(q * count) - 1. */
function specRank(sorted: Float64Array, q: number): number {
  return sorted[Math.ceil(q * sorted.length) - 1] as number;
}

function expectExactPercentiles(values: readonly number[]): void {
  const summary = new RunningSummary(100_000);
  for (const v of values) summary.add(v);
  const sorted = Float64Array.from(values).sort();
  const report = summary.summary();
  expect(report.p95Exact).toBe(true);
  expect(report.count).toBe(values.length);
  expect(report.p50Ms).toBe(specRank(sorted, 0.5));
  expect(report.p90Ms).toBe(specRank(sorted, 0.9));
  expect(report.p95Ms).toBe(specRank(sorted, 0.95));
  expect(report.p99Ms).toBe(specRank(sorted, 0.99));
}

describe('RunningSummary exact percentiles: the spec rank at every size the ring holds', () => {
  // Below and above NARROW_FROM (4096), where the histogram narrows the search, up to the default window.
  it.each([1, 2, 19, 20, 21, 1000, 4095, 4096, 4097, 10_001, 65_537, 100_000])('lognormal durations, %d records', (n) => {
    const random = mulberry32(n);
    const values = Array.from(
      { length: n },
      () => 800 * Math.exp(0.8 * Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random())),
    );
    expectExactPercentiles(values);
  });

  it('values closer than a histogram bucket (0.1 %) are still told apart', () => {
    // 20 000 durations within 1e-6 ms of 1000 ms: all in one or two buckets, ranks decided by the last digits.
    const random = mulberry32(7);
    expectExactPercentiles(Array.from({ length: 20_000 }, () => 1000 + random() * 1e-6));
  });

  it('ties, zero, negative and huge durations (first and last histogram buckets)', () => {
    const random = mulberry32(11);
    const values = Array.from({ length: 30_000 }, (_, i) => {
      if (i % 5 === 0) return 0;
      if (i % 7 === 0) return -random();
      if (i % 11 === 0) return 1e12 * (1 + random());
      return Math.round(random() * 50);
    });
    expectExactPercentiles(values);
  });

  it('a new record changes the report (the cached one is dropped)', () => {
    const summary = new RunningSummary(100_000);
    for (let i = 1; i <= 10_000; i++) summary.add(i);
    expect(summary.summary().p95Ms).toBe(9500);
    for (let i = 0; i < 10_000; i++) summary.add(20_000);
    expect(summary.summary().p95Ms).toBe(20_000);
    expect(summary.summary().p50Ms).toBe(10_000);
  });
});
