import { differenceInterval, invert, leastSquares } from '../leastSquares';

describe('leastSquares', () => {
  test('a line through five points, against the hand-computed fit', () => {
    // x = 1..5, y = 2.1, 3.9, 6.2, 7.8, 10.1: slope Sxy/Sxx = 19.9/10 = 1.99, intercept 6.02 − 1.99·3 = 0.05.
    const x = [1, 2, 3, 4, 5].map((v) => [1, v]);
    const fit = leastSquares(x, [2.1, 3.9, 6.2, 7.8, 10.1]);
    expect(fit.coefficients[0]).toBeCloseTo(0.05, 10);
    expect(fit.coefficients[1]).toBeCloseTo(1.99, 10);
    // Residuals 0.06, −0.13, 0.18, −0.21, 0.10: RSS 0.107, σ̂² = 0.119/3, se(slope) = √(σ̂²/10).
    expect(fit.df).toBe(3);
    expect(fit.standardErrors[1]).toBeCloseTo(Math.sqrt(0.107 / 3 / 10), 10);
    // t(0.975, 3) = 3.182446.
    expect(fit.intervals[1]?.high).toBeCloseTo(1.99 + 3.182446 * Math.sqrt(0.107 / 3 / 10), 5);
    expect(fit.rSquared).toBeCloseTo(1 - 0.107 / 39.708, 10);
  });

  test('several columns, each with its own rows: exact data gives exact costs', () => {
    const rows = [
      [1, 10, 0],
      [1, 20, 0],
      [1, 0, 5],
      [1, 0, 15],
    ];
    const fit = leastSquares(
      rows,
      rows.map((r) => 3 + 0.5 * (r[1] as number) + 2 * (r[2] as number)),
    );
    expect(fit.coefficients.map((c) => Number(c.toFixed(9)))).toEqual([3, 0.5, 2]);
  });

  test('refuses too few rows and dependent columns, naming what is wrong', () => {
    expect(() => leastSquares([[1, 2]], [1])).toThrow(/at least as many rows as columns, got 1 rows for 2 columns/);
    expect(() =>
      leastSquares(
        [
          [1, 0],
          [1, 0],
          [1, 0],
        ],
        [1, 2, 3],
      ),
    ).toThrow(/linearly dependent/);
    expect(
      invert([
        [1, 2],
        [2, 4],
      ]),
    ).toBeNull();
  });
});

test('differenceInterval: Welch-Satterthwaite degrees of freedom', () => {
  const d = differenceInterval({ estimate: 5, se: 1, df: 10 }, { estimate: 2, se: 1, df: 10 });
  expect(d.estimate).toBe(3);
  // df = (1+1)² / (1/10 + 1/10) = 20; t(0.975, 20) = 2.085963.
  expect(d.high - d.estimate).toBeCloseTo(2.085963 * Math.SQRT2, 5);
});
