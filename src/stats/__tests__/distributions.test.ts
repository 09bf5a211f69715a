import { binomialCdf, logGamma, normalCdf, regularizedBeta, studentTCdf, studentTQuantile } from '../distributions';

/*
 * Reference values from scipy 1.17.1 (python3-scipy on Debian), computed once with:
 *   from scipy import stats, special
 *   [stats.t.ppf(0.975, df) for df in (1, 2, 5, 9, 29, 100)]
 *   stats.t.cdf(1.5, 3), stats.t.cdf(-2.2, 10), stats.t.cdf(0.3, 1)
 *   stats.norm.cdf(1.96), stats.norm.cdf(-0.5), stats.norm.cdf(3.1)
 *   stats.binom.cdf(5, 20, .5), stats.binom.cdf(2, 10, .3)
 *   special.gammaln(0.5), special.gammaln(10.3), special.gammaln(171.5)
 *   special.betainc(2.5, 0.5, 0.3), special.betainc(15, 0.5, 0.97)
 */
test('Student t quantiles match scipy.stats.t.ppf(0.975, df)', () => {
  const expected: [number, number][] = [
    [1, 12.706204736174694],
    [2, 4.302652729749462],
    [5, 2.5705818356363146],
    [9, 2.262157162798205],
    [29, 2.045229642132703],
    [100, 1.9839715185235518],
  ];
  for (const [df, t] of expected) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 9);
  expect(studentTQuantile(0.025, 9)).toBeCloseTo(-2.262157162798205, 9);
  expect(studentTQuantile(0.5, 4)).toBe(0);
});

test('Student t CDF matches scipy.stats.t.cdf', () => {
  expect(studentTCdf(1.5, 3)).toBeCloseTo(0.8847080673775886, 12);
  expect(studentTCdf(-2.2, 10)).toBeCloseTo(0.02622053422467658, 12);
  expect(studentTCdf(0.3, 1)).toBeCloseTo(0.5927735790777423, 12);
  expect(studentTCdf(Number.POSITIVE_INFINITY, 3)).toBe(1);
});

test('normal CDF matches scipy.stats.norm.cdf to the 1.2e-7 of the erfc fit', () => {
  expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 7);
  expect(normalCdf(-0.5)).toBeCloseTo(0.3085375387259869, 7);
  expect(normalCdf(3.1)).toBeCloseTo(0.9990323967867817, 7);
  expect(normalCdf(0)).toBeCloseTo(0.5, 7);
});

test('binomial CDF, log-gamma and the incomplete beta match scipy', () => {
  expect(binomialCdf(5, 20, 0.5)).toBeCloseTo(0.020694732666015625, 14);
  expect(binomialCdf(2, 10, 0.3)).toBeCloseTo(0.3827827863999998, 13);
  expect(binomialCdf(-1, 10, 0.3)).toBe(0);
  expect(binomialCdf(10, 10, 0.3)).toBe(1);
  // Hand-computed: P(B <= 0) for n = 8, p = ½ is 1 / 256.
  expect(binomialCdf(0, 8, 0.5)).toBeCloseTo(1 / 256, 15);
  expect(logGamma(0.5)).toBeCloseTo(0.5723649429247, 12);
  expect(logGamma(10.3)).toBeCloseTo(13.482036786138359, 11);
  expect(logGamma(171.5)).toBeCloseTo(709.1431630309283, 9);
  expect(regularizedBeta(0.3, 2.5, 0.5)).toBeCloseTo(0.018927124071945658, 12);
  expect(regularizedBeta(0.97, 15, 0.5)).toBeCloseTo(0.3431267055881709, 12);
});
