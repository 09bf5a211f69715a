import { hodgesLehmannTwoSample, mannWhitneyU, welchInterval } from '../twoSample';

/*
 * Reference values from scipy 1.17.1, computed once with:
 *   from scipy import stats
 *   x = [45.1,44.0,46.3,44.8,47.2,45.5,44.9,46.0,45.7,44.4,45.0,46.1]
 *   y = [41.2,39.8,40.5,43.1,40.0,39.5,42.2,40.9,41.7,40.3]
 *   stats.mannwhitneyu(x, y, method='asymptotic', use_continuity=True)   # U 120, p 8.733926588357827e-05
 *   stats.mannwhitneyu([1,2,2,3,4,4,4,5], [2,3,3,5,6,6,7,7,8], method='asymptotic')  # U 15.5, p 0.05208422124412812
 *   stats.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)     # (3.55896967020489, 5.434363663128435)
 */
const x = [45.1, 44.0, 46.3, 44.8, 47.2, 45.5, 44.9, 46.0, 45.7, 44.4, 45.0, 46.1];
const y = [41.2, 39.8, 40.5, 43.1, 40.0, 39.5, 42.2, 40.9, 41.7, 40.3];

test('Welch interval of the difference of means matches scipy.stats.ttest_ind(equal_var=False)', () => {
  const i = welchInterval(x, y);
  expect(i?.low).toBeCloseTo(3.55896967020489, 8);
  expect(i?.high).toBeCloseTo(5.434363663128435, 8);
  expect(welchInterval([1], y)).toBeNull();
  // Hand-computed: no spread on either side → the interval is the point.
  expect(welchInterval([5, 5], [3, 3])).toMatchObject({ estimate: 2, low: 2, high: 2 });
});

test('Mann-Whitney U with tie and continuity corrections matches scipy.stats.mannwhitneyu', () => {
  expect(mannWhitneyU(x, y)?.statistic).toBe(120);
  expect(mannWhitneyU(x, y)?.pValue).toBeCloseTo(8.733926588357827e-5, 9);
  const tied = mannWhitneyU([1, 2, 2, 3, 4, 4, 4, 5], [2, 3, 3, 5, 6, 6, 7, 7, 8]);
  expect(tied?.statistic).toBe(15.5);
  expect(tied?.pValue).toBeCloseTo(0.05208422124412812, 6);
  expect(mannWhitneyU([], y)).toBeNull();
  expect(mannWhitneyU([1, 1], [1, 1])).toEqual({ statistic: 2, pValue: 1 });
});

test('two-sample Hodges-Lehmann: the median of all pairwise differences (hand-computed)', () => {
  // a − b over {10, 12} × {1, 2, 4}: 9, 8, 6, 11, 10, 8 → sorted 6, 8, 8, 9, 10, 11 → median 8.5.
  expect(hodgesLehmannTwoSample([10, 12], [1, 2, 4])).toBe(8.5);
  expect(hodgesLehmannTwoSample([], [1])).toBeNull();
});
