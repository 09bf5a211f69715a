import { detectChangePoints, adjustedP } from '../changePoints';
import { CHANGE_POINT_DEFAULTS } from '../changePointOptions';
import { EnergyWindow } from '../energyDivergence';
import { clipOutliers } from '../robustClip';
import { SegmentMoments } from '../segmentMoments';
import { mulberry32 } from '../prng';
import { incompleteBeta, lnGamma, pooledTTest, studentTwoSidedP } from '../studentT';

/** A small deterministic wiggle, so that segments have a variance without a PRNG: ±1 % (by default) around the level. */
const wiggle = (level: number, count: number, amplitude = 0.01): number[] =>
  Array.from({ length: count }, (_, i) => level * (1 + (((i * 7) % 5) - 2) * (amplitude / 2)));

describe('Student t', () => {
  test('lnGamma against exact values', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 13);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(lnGamma(10)).toBeCloseTo(Math.log(362_880), 12);
  });

  test('incomplete beta: symmetric and known points', () => {
    expect(incompleteBeta(0.5, 0.5, 0.5)).toBeCloseTo(0.5, 13);
    expect(incompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 13); // 6x²(1/2 − 2x/3 + x²/4) at 0.3
    expect(incompleteBeta(0, 2, 3)).toBe(0);
    expect(incompleteBeta(1, 2, 3)).toBe(1);
  });

  test('two-sided p-values match scipy.stats.t.sf(|t|, df) * 2', () => {
    expect(studentTwoSidedP(2, 10)).toBeCloseTo(0.07338803477074037, 12);
    expect(studentTwoSidedP(-2, 10)).toBeCloseTo(0.07338803477074037, 12);
    expect(studentTwoSidedP(1, 1)).toBeCloseTo(0.5, 12);
    expect(studentTwoSidedP(0, 5)).toBe(1);
    expect(studentTwoSidedP(Infinity, 5)).toBe(0);
    // Large df: the normal distribution's 1.96 → 0.05.
    expect(studentTwoSidedP(1.959963984540054, 1e7)).toBeCloseTo(0.05, 6);
  });

  test('pooled t-test of [1,2,3] vs [4,5,6] matches scipy.stats.ttest_ind', () => {
    const r = pooledTTest({ count: 3, mean: 2, variance: 1 }, { count: 3, mean: 5, variance: 1 });
    expect(r.t).toBeCloseTo(3.6742346141747673, 12);
    expect(r.df).toBe(4);
    expect(r.p).toBeCloseTo(0.021311641128756713, 12);
  });

  test('pooled t-test edge cases: no variance, too few values', () => {
    expect(pooledTTest({ count: 3, mean: 2, variance: 0 }, { count: 3, mean: 2, variance: 0 }).p).toBe(1);
    expect(pooledTTest({ count: 3, mean: 2, variance: 0 }, { count: 3, mean: 3, variance: 0 }).p).toBe(0);
    expect(pooledTTest({ count: 1, mean: 2, variance: 0 }, { count: 1, mean: 3, variance: 0 }).p).toBe(1);
  });
});

test('SegmentMoments: count, mean and sample variance of any range, also around a large level', () => {
  const m = new SegmentMoments([1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 10]);
  expect(m.of(0, 3)).toEqual({ count: 3, mean: 1e9 + 2, variance: 1 });
  expect(m.of(3, 4)).toEqual({ count: 1, mean: 1e9 + 10, variance: 0 });
  expect(m.of(2, 2)).toEqual({ count: 0, mean: 0, variance: 0 });
});

test('SegmentMoments over blocks: every range of a series with a large level equals the direct computation, the factor undone', () => {
  const random = mulberry32(11);
  const values = Array.from({ length: 203 }, () => 1e6 + random() * 10);
  const m = new SegmentMoments(values);
  const scaled = new SegmentMoments(values, 2 ** -20);
  for (let trial = 0; trial < 300; trial++) {
    const a = Math.floor(random() * 203);
    const b = a + 1 + Math.floor(random() * (203 - a));
    const slice = values.slice(a, b);
    const mean = slice.reduce((x, y) => x + y, 0) / slice.length;
    const variance = slice.length > 1 ? slice.reduce((x, y) => x + (y - mean) ** 2, 0) / (slice.length - 1) : 0;
    for (const got of [m.of(a, b), scaled.of(a, b)]) {
      expect(got.count).toBe(b - a);
      expect(got.mean).toBeCloseTo(mean, 8);
      expect(got.variance).toBeCloseTo(variance, 8);
    }
  }
});

test('changes overflow: a step from 1e308 to −1e308 is found, with finite means (the sums overflowed to Infinity and found nothing)', () => {
  const noisy = (level: number, count: number): number[] => wiggle(level, count, 0.02);
  const values = [...noisy(1e308, 40), ...noisy(-1e308, 40)];
  const [change, ...rest] = detectChangePoints(values);
  expect(rest).toEqual([]);
  expect(change?.index).toBe(40);
  expect(change?.before.mean).toBeCloseTo(1e308, -300);
  expect(change?.after.mean).toBeCloseTo(-1e308, -300);
  expect(change?.before.median).toBe(1e308);
  expect(change?.relativeChange).toBeCloseTo(-2, 6);
  expect(change?.pValue).toBeLessThan(1e-10);
  // The largest doubles, and a step between them of the same sign (log scale), too.
  const extremes = [...noisy(1.7e308, 30), ...noisy(-1.7e308, 30)];
  expect(detectChangePoints(extremes).map((c) => c.index)).toEqual([30]);
  expect(detectChangePoints([...noisy(1e300, 30), ...noisy(1e308, 30)]).map((c) => c.index)).toEqual([30]);
});

test('EnergyWindow finds a clean step where it is, and nothing in too short a range', () => {
  const values = [...wiggle(10, 20), ...wiggle(20, 15)];
  const energy = new EnergyWindow(40).load(values, 0, values.length);
  expect(energy.bestSplit(0, values.length, 3)?.index).toBe(20);
  expect(energy.bestSplit(0, 5, 3)).toBeUndefined();
  // A slice that starts at index 100 of its series: indexes stay the series'.
  expect(new EnergyWindow(40).load(values, 0, values.length, 100).bestSplit(100, 100 + values.length, 3)?.index).toBe(120);
  expect(() => energy.load(values, 0, 41)).toThrow(RangeError);
});

test('clipOutliers brings a lone spike down to its neighbourhood and leaves a step alone', () => {
  const values = [...wiggle(100, 30), ...wiggle(150, 30)];
  values[10] = 1000;
  const clipped = clipOutliers(values);
  expect(clipped[10]).toBeLessThan(110);
  expect(clipped[10]).toBeGreaterThan(100);
  for (let i = 0; i < values.length; i++) if (i !== 10) expect(clipped[i]).toBe(values[i]);
  expect(values[10]).toBe(1000); // input untouched
});

describe('detectChangePoints', () => {
  test('a clean +50 % step is found at its index, with sides, medians and a tiny p-value', () => {
    const values = [...wiggle(100, 100), ...wiggle(150, 100)];
    const times = values.map((_, i) => 1_700_000_000_000 + i * 60_000);
    const copy = [...values];
    const [change, ...rest] = detectChangePoints(values, { times });
    expect(rest).toEqual([]);
    expect(change?.index).toBe(100);
    expect(change?.time).toBe(times[100]);
    expect(change?.before.count).toBe(100);
    expect(change?.after.count).toBe(100);
    expect(change?.before.mean).toBeCloseTo(100, 1);
    expect(change?.after.mean).toBeCloseTo(150, 1);
    expect(change?.before.median).toBe(100);
    expect(change?.after.median).toBe(150);
    expect(change?.relativeChange).toBeCloseTo(0.5, 2);
    expect(change?.pValue).toBeLessThan(1e-100);
    expect(values).toEqual(copy);
  });

  test('the p-value is the t-test of the two sides (log scale) times the places searched', () => {
    const values = [...wiggle(100, 20), ...wiggle(104, 20)];
    const [change] = detectChangePoints(values, { minRelativeChange: 0 });
    const logs = values.map(Math.log);
    const m = new SegmentMoments(logs);
    const raw = pooledTTest(m.of(0, 20), m.of(20, 40)).p;
    expect(change?.index).toBe(20);
    expect(change?.pValue).toBeCloseTo(adjustedP(raw, 40, CHANGE_POINT_DEFAULTS.minSegment), 15);
    expect(adjustedP(raw, 40, 6)).toBeCloseTo(raw * 29, 15);
  });

  test('a step below minRelativeChange is not reported, however significant', () => {
    const values = [...wiggle(100, 100, 0.001), ...wiggle(101.5, 100, 0.001)];
    expect(detectChangePoints(values)).toEqual([]);
    expect(detectChangePoints(values, { minRelativeChange: 0.01 }).map((c) => c.index)).toEqual([100]);
  });

  test('a step without any noise is (all but) certain', () => {
    const values = [...new Array<number>(6).fill(10), ...new Array<number>(6).fill(20)];
    const [change] = detectChangePoints(values);
    expect(change?.index).toBe(6);
    expect(change?.pValue).toBeLessThan(1e-50);
    expect(change?.before.median).toBe(10);
  });

  test('two steps, up then down, both found; a change needs minSegment points on each side', () => {
    const values = [...wiggle(100, 80), ...wiggle(130, 40), ...wiggle(100, 80)];
    expect(detectChangePoints(values).map((c) => c.index)).toEqual([80, 120]);
    // Fewer than minSegment (6) values after a step: the change is placed no later than 6 from the end.
    expect(detectChangePoints([...wiggle(100, 80), ...wiggle(200, 3)]).map((c) => c.index)).toEqual([77]);
    expect(detectChangePoints([...wiggle(100, 80), ...wiggle(200, 3)], { minSegment: 3 }).map((c) => c.index)).toEqual([80]);
  });

  test('constant, empty and short series have no change; values <= 0 work on the linear scale', () => {
    expect(detectChangePoints(new Array<number>(500).fill(7))).toEqual([]);
    expect(detectChangePoints([])).toEqual([]);
    expect(detectChangePoints([1, 2, 3])).toEqual([]);
    const shifted = [...wiggle(100, 60), ...wiggle(150, 60)].map((v) => v - 125);
    expect(detectChangePoints(shifted).map((c) => c.index)).toEqual([60]);
    expect(detectChangePoints(shifted)[0]?.relativeChange).toBeCloseTo(-2, 1);
  });

  test('a zero mean before the change gives a null relative change', () => {
    const values = [...new Array<number>(10).fill(0), ...wiggle(5, 10)];
    const [change] = detectChangePoints(values);
    expect(change?.index).toBe(10);
    expect(change?.relativeChange).toBeNull();
  });

  test('Float64Array input works like an array', () => {
    const values = Float64Array.from([...wiggle(100, 50), ...wiggle(130, 50)]);
    expect(detectChangePoints(values).map((c) => c.index)).toEqual([50]);
  });

  test('bad input and options throw with the expected message shape', () => {
    expect(() => detectChangePoints('1,2' as unknown as number[])).toThrow(
      /^Expected `values` to be an array of finite numbers, got `"1,2"` \(string\)$/,
    );
    expect(() => detectChangePoints([1, Number.NaN])).toThrow(/^Expected `values\[1\]` to be a finite number, got `NaN` \(number\)$/);
    expect(() => detectChangePoints([1, 2], { significance: 0 })).toThrow(/^Expected `significance` to be a finite number >= /);
    expect(() => detectChangePoints([1, 2], { minSegment: 1 })).toThrow(/^Expected `minSegment` to be a finite integer >= 2/);
    expect(() => detectChangePoints([1, 2], { minRelativeChange: -0.1 })).toThrow(/^Expected `minRelativeChange`/);
    expect(() => detectChangePoints([1, 2], { window: 10 })).toThrow(
      /^Expected `window` to be an integer >= 2 × minSegment \(12\), got `10` \(number\)$/,
    );
    expect(() => detectChangePoints([1, 2], { scale: 'cubic' as 'log' })).toThrow(/^Expected `scale` to be one of 'log', 'linear'/);
    expect(() => detectChangePoints([0, 2], { scale: 'log' })).toThrow(/^Expected `scale` to be 'linear' for a series with values <= 0/);
    expect(() => detectChangePoints([1, 2], { times: [1] })).toThrow(/^Expected `times` to be an array of 2 epoch ms/);
    expect(() => detectChangePoints([1, 2], { times: [1, Infinity] })).toThrow(/^Expected `times\[1\]` to be a finite number \(epoch ms\)/);
    expect(() => detectChangePoints([1, 2], null as unknown as object)).toThrow(/^Expected `options` to be an object/);
  });
});
