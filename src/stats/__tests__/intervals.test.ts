import { pairedBootstrapInterval, ratioOfMeans, interpolatedQuantile } from '../bootstrap';
import { hodgesLehmannShift } from '../hodgesLehmann';
import { halfWidth, meanInterval, medianInterval, medianRank, spans } from '../intervals';
import { pairedComparison } from '../paired';
import { averageRanks, wilcoxonSignedRank } from '../wilcoxon';
import { mulberry32 } from '../prng';

/*
 * Reference values from scipy 1.17.1, computed once with:
 *   import numpy as np; from scipy import stats
 *   b = np.array([41.2,39.8,40.5,43.1,40.0,39.5,42.2,40.9,41.7,40.3])
 *   stats.t.interval(0.95, len(b)-1, loc=b.mean(), scale=stats.sem(b))      # (40.102418025018856, 41.73758197498115)
 *   y = np.append(b, [55.0,40.1,39.9,41.0,40.6,40.4,40.8,42.0,39.7,41.5])
 *   stats.quantile_test(y, q=np.median(y), p=0.5).confidence_interval(0.95)  # (40.1, 41.5)
 *   a = np.array([45.1,44.0,46.3,44.8,47.2,45.5,44.9,46.0,45.7,44.4])
 *   stats.wilcoxon(a - b, method='exact')                                    # statistic 0, p 0.001953125
 *   stats.wilcoxon([1.5,-0.7,2.3,-1.1,0.4,3.2,-0.2,0.9], method='exact')     # statistic 9, p 0.25
 *   stats.wilcoxon([1,-2,3,1,-2,4,5,0,2,-1,3,6,2,1])                          # statistic 15.5, p 0.034846312095225145
 *   f = np.round(np.random.default_rng(1).normal(0.3, 1, 60), 6)
 *   stats.wilcoxon(f, method='asymptotic', correction=False)                 # statistic 585, p 0.015126799117971637
 *   stats.bootstrap((a, b), lambda a, b, axis=-1: a.mean(axis=axis) / b.mean(axis=axis), paired=True,
 *                   vectorized=True, method='percentile', n_resamples=10000, rng=np.random.default_rng(0))
 *                                                                            # (1.0849032398072465, 1.1337788721976987)
 * scipy reports the two-sided statistic as min(W+, W−); ours is W+ (W+ + W− = n(n + 1) / 2).
 */
const b = [41.2, 39.8, 40.5, 43.1, 40.0, 39.5, 42.2, 40.9, 41.7, 40.3];
const a = [45.1, 44.0, 46.3, 44.8, 47.2, 45.5, 44.9, 46.0, 45.7, 44.4];
const y = [...b, 55.0, 40.1, 39.9, 41.0, 40.6, 40.4, 40.8, 42.0, 39.7, 41.5];
const f = [
  0.645584, 1.121618, 0.630437, -1.003157, 1.205356, 0.746375, -0.236953, 0.881118, 0.664572, 0.594132, 0.328422, 0.846713, -0.436454,
  0.13709, -0.182119, 0.898846, 0.339722, 0.007543, -0.481908, 0.042808, 0.308142, 0.024397, 1.594064, 1.306724, -2.411162, -1.589013,
  0.125228, -0.12219, 0.513643, 0.517322, 2.417839, -0.812021, -0.077605, 2.342772, 0.946703, 0.963063, -0.214006, -1.348075, 0.467465,
  0.409014, -0.927352, -0.383227, 0.227956, -0.644752, 0.20173, 0.395483, 0.335586, -0.206292, 0.893748, 1.191167, 0.620848, -0.51823,
  1.031652, -0.20144, 1.179161, -0.771787, 1.214467, 0.279937, -0.948749, -0.013899,
];

test('t interval of the mean matches scipy.stats.t.interval; none from one run', () => {
  const i = meanInterval(b);
  expect(i?.estimate).toBeCloseTo(40.92, 12);
  expect(i?.low).toBeCloseTo(40.102418025018856, 9);
  expect(i?.high).toBeCloseTo(41.73758197498115, 9);
  expect(i?.method).toBe('t');
  // Hand-computed: [1, 3] has mean 2, s = √2, t(0.975, 1) = 12.7062…, margin = 12.7062 · √2 / √2 = 12.7062.
  expect(meanInterval([1, 3])?.high).toBeCloseTo(2 + 12.706204736174694, 9);
  expect(meanInterval([5])).toBeNull();
  expect(meanInterval([])).toBeNull();
});

test('order-statistic interval of the median matches scipy.stats.quantile_test', () => {
  const i = medianInterval(y);
  expect(i).toMatchObject({ estimate: 40.7, low: 40.1, high: 41.5, method: 'order-statistic' });
  // Hand-computed: n = 20 → j = 6 (1 − 2·P(B ≤ 5) = 0.9586 ≥ 0.95; j = 7 gives 0.885): [x(6), x(15)].
  expect(medianRank(20)).toBe(6);
  expect(medianInterval(Array.from({ length: 20 }, (_, k) => k + 1))).toMatchObject({ low: 6, high: 15 });
  // n = 8: only [min, max] covers 95 % (1 − 2/256); n = 5 cannot (1 − 2/32 = 0.9375).
  expect(medianInterval([12, 10, 100, 14, 18, 16, 11, 13])).toMatchObject({ low: 10, high: 100 });
  expect(medianRank(5)).toBe(0);
  expect(medianInterval([1, 2, 3, 4, 5])).toBeNull();
});

test('Wilcoxon signed-rank: exact and normal p-values match scipy.stats.wilcoxon', () => {
  const all = wilcoxonSignedRank(a.map((x, k) => x - (b[k] as number)));
  expect(all).toEqual({ statistic: 55, n: 10, pValue: expect.closeTo(0.001953125, 12) as number, method: 'exact' });
  const mixed = wilcoxonSignedRank([1.5, -0.7, 2.3, -1.1, 0.4, 3.2, -0.2, 0.9]);
  expect(mixed?.statistic).toBe(36 - 9);
  expect(mixed?.pValue).toBeCloseTo(0.25, 12);
  // A zero is dropped (n = 13) and ties force the normal approximation: W− = 6.5 + 6.5 + 2.5 = 15.5 by hand.
  const tied = wilcoxonSignedRank([1, -2, 3, 1, -2, 4, 5, 0, 2, -1, 3, 6, 2, 1]);
  expect(tied).toMatchObject({ statistic: 91 - 15.5, n: 13, method: 'normal' });
  expect(tied?.pValue).toBeCloseTo(0.034846312095225145, 6);
  const large = wilcoxonSignedRank(f);
  expect(large).toMatchObject({ statistic: 1830 - 585, n: 60, method: 'normal' });
  expect(large?.pValue).toBeCloseTo(0.015126799117971637, 6);
  expect(wilcoxonSignedRank([0, 0])).toBeNull();
  expect(averageRanks([3, 1, 3, 2])).toEqual({ ranks: [3.5, 1, 3.5, 2], ties: [2] });
});

test('Hodges-Lehmann shift: the median of the Walsh averages (hand-computed)', () => {
  // d = 1, 2, 9: Walsh averages 1, 1.5, 5, 2, 5.5, 9 → sorted 1, 1.5, 2, 5, 5.5, 9 → median 3.5.
  expect(hodgesLehmannShift([1, 2, 9])).toBe(3.5);
  expect(hodgesLehmannShift([4])).toBe(4);
  expect(hodgesLehmannShift([])).toBeNull();
});

test('paired percentile bootstrap of the ratio agrees with scipy.stats.bootstrap and is reproducible', () => {
  const i = pairedBootstrapInterval(a, b, ratioOfMeans);
  expect(i?.estimate).toBeCloseTo(1.1092375366568914, 12);
  // Different generators: the endpoints agree to Monte Carlo error (< 0.002 here), not to the digit.
  expect(i?.low).toBeCloseTo(1.0849032398072465, 2);
  expect(i?.high).toBeCloseTo(1.1337788721976987, 2);
  expect(pairedBootstrapInterval(a, b, ratioOfMeans)).toEqual(i);
  expect(pairedBootstrapInterval(a, b, ratioOfMeans, { seed: 7 })).not.toEqual(i);
  expect(pairedBootstrapInterval([1], [1], ratioOfMeans)).toBeNull();
  expect(pairedBootstrapInterval([1, 2], [0, 0], ratioOfMeans)).toBeNull();
  // numpy.percentile's linear rule, by hand: q = 0.25 of 1, 2, 3, 4, 5 → position 1 → 2; q = 0.1 → 1.4.
  expect(interpolatedQuantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
  expect(interpolatedQuantile([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 12);
  const r = mulberry32(1);
  const draws = Array.from({ length: 1000 }, r);
  expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...draws)).toBeLessThan(1);
});

/** Normal draws by Box-Muller from the seeded generator: synthetic run times. */
function normalSample(seed: number, n: number, mu: number, sigma: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => mu + sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

test('same distribution → "no significant difference"; a 5 % shift → slower, with its interval', () => {
  const base = normalSample(11, 30, 40, 2);
  const same = normalSample(12, 30, 40, 2);
  const same2 = pairedComparison(same, base);
  expect(same2.verdict).toBe('no significant difference');
  expect(same2.difference && spans(same2.difference)).toBe(true);
  expect(same2.test?.pValue).toBeGreaterThan(0.05);

  const slower = pairedComparison(normalSample(13, 30, 42, 2), base);
  expect(slower.verdict).toBe('slower');
  expect(slower.difference?.low).toBeGreaterThan(0);
  expect(slower.ratio?.low).toBeGreaterThan(1);
  expect(slower.test?.pValue).toBeLessThan(0.05);
  expect(slower.difference && halfWidth(slower.difference)).toBeGreaterThan(0);
  expect(
    pairedComparison(
      base.map((x) => x - 3),
      base,
    ).verdict,
  ).toBe('faster');
  expect(pairedComparison([40], [41]).verdict).toBe('too few pairs');
  expect(() => pairedComparison([1, 2], [1])).toThrow(/^Expected `b.length` to be 2 \(one value per round of `a`\), got `1` \(number\)$/);
});
