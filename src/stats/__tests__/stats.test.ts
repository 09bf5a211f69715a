import { mad, mean, median, stddev, summarize } from '../descriptive';
import { modifiedZScores, outlierIndexes } from '../outliers';
import { differenceWithError, ratioWithError } from '../ratio';
import { nearestRankIndex, percentile, percentileOfSorted } from '../percentile';

// Fixture computed by hand: 10, 12, 14, 16, 18, 100
const sample = [12, 10, 100, 14, 18, 16];

test('mean, sample σ, median, MAD on a hand-computed fixture', () => {
  expect(mean(sample)).toBeCloseTo(170 / 6, 12); // 28.333…
  // Σ(x − m)² = 336.11 + 266.78 + 205.44 + 152.11 + 106.78 + 5136.11 = 6203.33; / 5 = 1240.667; sqrt = 35.2231
  expect(stddev(sample)).toBeCloseTo(35.2231, 4);
  expect(median(sample)).toBe(15); // (14 + 16) / 2
  // |x − 15| = 3, 5, 85, 1, 3, 1 → sorted 1, 1, 3, 3, 5, 85 → median 3
  expect(mad(sample)).toBe(3);
  expect(median([3, 1, 2])).toBe(2);
  expect(mean([])).toBe(0);
  expect(stddev([5])).toBe(0);
  expect(median([])).toBe(0);
  expect(sample).toEqual([12, 10, 100, 14, 18, 16]); // inputs untouched
});

test('MAD outliers: only 100 is flagged (z = 0.6745 · 85 / 3 = 19.1)', () => {
  const z = modifiedZScores(sample);
  expect(z[2]).toBeCloseTo(19.11083, 4);
  expect(z[0]).toBeCloseTo(-0.6745, 4);
  expect(outlierIndexes(sample)).toEqual([2]);
  expect(outlierIndexes([5, 5, 5, 5, 9])).toEqual([]); // MAD = 0 → nothing flagged
});

test("the spec's p95 rule: index ceil(0.95 n) − 1 on ascending values", () => {
  expect(nearestRankIndex(0.95, 3)).toBe(2);
  expect(nearestRankIndex(0.95, 20)).toBe(18);
  expect(nearestRankIndex(0.95, 100)).toBe(94);
  expect(nearestRankIndex(0.95, 0)).toBe(-1);
  const values = Array.from({ length: 20 }, (_, i) => 20 - i); // 20 … 1
  expect(percentile(values, 0.95)).toBe(19);
  expect(percentileOfSorted([], 0.95)).toBe(0);
  expect(percentile([50, 150, 100], 0.95)).toBe(150);
});

test('summarize gives hyperfine fields', () => {
  expect(summarize(sample)).toEqual({
    count: 6,
    meanMs: 170 / 6,
    stddevMs: expect.closeTo(35.2231, 3) as number,
    medianMs: 15,
    minMs: 10,
    maxMs: 100,
    p95Ms: 100,
  });
});

test('ratio with the error propagated from both sides; a zero baseline has no ratio', () => {
  // a = 120 ± 6 (5 %), b = 100 ± 4 (4 %): r = 1.2, σr = 1.2 · sqrt(0.0025 + 0.0016) = 0.076837…
  const r = ratioWithError(120, 6, 100, 4);
  expect(r?.ratio).toBeCloseTo(1.2, 12);
  expect(r?.error).toBeCloseTo(0.0768375, 6);
  expect(ratioWithError(1, 0, 0, 0)).toBeNull();
  expect(differenceWithError(120, 3, 100, 4)).toEqual({ difference: 20, error: 5 });
});
