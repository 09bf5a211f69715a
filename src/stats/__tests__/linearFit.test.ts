import { at, fitLine, fTailP, type SizedValues } from '../linearFit';
import { mulberry32 } from '../prng';

/*
 * Reference values from numpy 2.4.6 / scipy 1.17.1, computed once with the matrix form of weighted
 * least squares (a different path from the sums linearFit.ts uses):
 *   g = {1: [12.1,11.4,13.0,12.5], 2: [14.2,15.9,13.8,15.1], 4: [20.3,18.1,21.9,19.5], 8: [29.0,33.8,27.5,31.2]}
 *   w = 1 / np.var(values of the size, ddof=1) for each value; X = [1, x]
 *   beta = solve(XᵀWX, XᵀWy); s2 = Σ w r² / (n − 2); cov = s2 · inv(XᵀWX); t = stats.t.ppf(0.975, n − 2)
 *   F = (Σ nᵢ wᵢ (meanᵢ − fitᵢ)² / (k − 2)) / (Σ wᵢ (y − meanᵢ)² / (n − k)); stats.f.sf(F, k − 2, n − k)
 */
const groups: SizedValues[] = [
  { size: 1, values: [12.1, 11.4, 13.0, 12.5] },
  { size: 2, values: [14.2, 15.9, 13.8, 15.1] },
  { size: 4, values: [20.3, 18.1, 21.9, 19.5] },
  { size: 8, values: [29.0, 33.8, 27.5, 31.2] },
];

describe('fitLine', () => {
  it('matches numpy/scipy on a hand-made fixture: a, b, the value at 100 and the lack-of-fit p', () => {
    const fit = fitLine(groups);
    if (!fit) throw new Error('no fit');
    expect(fit.intercept.estimate).toBeCloseTo(9.64354286161241, 9);
    expect(fit.intercept.low).toBeCloseTo(8.835332883439744, 6);
    expect(fit.intercept.high).toBeCloseTo(10.451752839785076, 6);
    expect(fit.slope.estimate).toBeCloseTo(2.580576534356818, 9);
    expect(fit.slope.low).toBeCloseTo(2.239136588041701, 6);
    expect(fit.slope.high).toBeCloseTo(2.9220164806719353, 6);
    const far = at(fit.model, 100);
    expect(far.estimate).toBeCloseTo(267.70119629729425, 7);
    expect(far.low).toBeCloseTo(234.1832987501137, 5);
    expect(far.high).toBeCloseTo(301.2190938444748, 5);
    expect(fit.lackOfFitP).toBeCloseTo(0.9881705284015955, 6);
    expect(fit).toMatchObject({ points: 16, sizes: 4 });
  });

  it('recovers known a and b from noisy synthetic runs whose spread grows with the size, inside its intervals', () => {
    const random = mulberry32(42);
    const a = 400;
    const b = 3.5;
    let covered = 0;
    const trials = 200;
    for (let trial = 0; trial < trials; trial++) {
      const data = [1, 2, 4, 8, 16].map((size) => ({
        size,
        // Uniform noise of spread proportional to 5 + size: heteroscedastic, as run times are.
        values: Array.from({ length: 10 }, () => a + b * size + (random() - 0.5) * 2 * (5 + size)),
      }));
      const fit = fitLine(data);
      if (!fit) throw new Error('no fit');
      expect(Math.abs(fit.slope.estimate - b)).toBeLessThan(1);
      if (fit.slope.low <= b && b <= fit.slope.high && fit.intercept.low <= a && a <= fit.intercept.high) covered++;
    }
    // Both 95 % intervals hold the truth in most trials (about 0.9 expected for the pair).
    expect(covered / trials).toBeGreaterThan(0.85);
  });

  it('flags a cost that does not grow as a line (quadratic) with a small lack-of-fit p', () => {
    const random = mulberry32(7);
    const data = [1, 2, 4, 8, 16].map((size) => ({ size, values: Array.from({ length: 8 }, () => 10 + size * size + random()) }));
    const fit = fitLine(data);
    expect(fit?.lackOfFitP).toBeLessThan(0.001);
  });

  it('is exact on an exact line and gives a zero-width interval', () => {
    const fit = fitLine([
      { size: 0, values: [5] },
      { size: 10, values: [25] },
      { size: 20, values: [45] },
    ]);
    expect(fit?.intercept.estimate).toBeCloseTo(5, 12);
    expect(fit?.slope.estimate).toBeCloseTo(2, 12);
    expect(fit?.slope.high).toBeCloseTo(2, 9);
    // One value per size: no pure error, so no lack-of-fit test.
    expect(fit?.lackOfFitP).toBeNull();
  });

  it('widens the interval the further it extrapolates', () => {
    const fit = fitLine(groups);
    if (!fit) throw new Error('no fit');
    const width = (x: number): number => at(fit.model, x).high - at(fit.model, x).low;
    expect(width(8)).toBeLessThan(width(100));
    expect(width(100)).toBeLessThan(width(1000));
  });

  it('cannot fit one size or two values', () => {
    expect(fitLine([{ size: 4, values: [1, 2, 3] }])).toBeNull();
    expect(
      fitLine([
        { size: 1, values: [1] },
        { size: 2, values: [2] },
      ]),
    ).toBeNull();
    expect(fitLine([])).toBeNull();
  });

  it('refuses a value that is not a finite number, naming it', () => {
    expect(() => fitLine([{ size: 1, values: [1, Number.NaN] }])).toThrow(/^Expected `a value at size 1` to be a finite number, got `NaN`/);
    expect(() => fitLine([{ size: Infinity, values: [1] }])).toThrow(/^Expected `size` to be a finite number/);
  });
});

describe('fTailP', () => {
  it('matches scipy.stats.f.sf', () => {
    // stats.f.sf(3.5, 2, 20) = 0.04973502207609715; stats.f.sf(1, 3, 10) = 0.4323372030216972
    expect(fTailP(3.5, 2, 20)).toBeCloseTo(0.04973502207609715, 9);
    expect(fTailP(1, 3, 10)).toBeCloseTo(0.4323372030216972, 9);
    expect(fTailP(0, 3, 10)).toBe(1);
  });
});
