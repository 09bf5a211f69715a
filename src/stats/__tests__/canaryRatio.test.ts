import { canaryRatio, ratioOfMedians } from '../canaryRatio';

test('ratio of medians: median(a) / median(b), NaN for a zero baseline', () => {
  // medians 30 and 10 (hand-computed: sorted [10, 30, 50] and [5, 10, 20]).
  expect(ratioOfMedians([50, 10, 30], [20, 5, 10])).toBe(3);
  expect(ratioOfMedians([1, 2], [0, 0])).toBeNaN();
});

test('the commands own times are divided when every pair has them; failed rounds are left out of both sides', () => {
  const result = canaryRatio(
    { durationsMs: [12, 14, null, 13, 15], commandMs: [10, 12, null, 11, 13] },
    { durationsMs: [6, 7, 8, null, 6.5], commandMs: [5, 6, 7, null, 5.5] },
  );
  // Pairs are rounds 0, 1 and 4: backend [10, 12, 13] → 12, none [5, 6, 5.5] → 5.5.
  expect(result).toMatchObject({ basis: 'command', pairs: 3, medianMs: 12, baselineMedianMs: 5.5 });
  expect(result.ratio).toBeCloseTo(12 / 5.5, 12);
  // The fixed cost is this backend's own: median of 2, 2, 2, 2 over its four successful runs.
  expect(result.fixedCostMs).toBe(2);
  expect(result.interval?.low).toBeLessThanOrEqual(result.ratio as number);
  expect(result.interval?.high).toBeGreaterThanOrEqual(result.ratio as number);
});

test('without a command timer on a side, whole durations are divided and no fixed cost is claimed', () => {
  const result = canaryRatio({ durationsMs: [20, 22], commandMs: [null, null] }, { durationsMs: [10, 11], commandMs: [9, 10] });
  expect(result).toMatchObject({ basis: 'duration', pairs: 2, medianMs: 21, baselineMedianMs: 10.5, fixedCostMs: null });
  expect(result.ratio).toBe(2);
});

test('one pair has a ratio and no interval; no pair has neither', () => {
  expect(canaryRatio({ durationsMs: [4], commandMs: [3] }, { durationsMs: [2], commandMs: [1.5] })).toMatchObject({
    ratio: 2,
    interval: null,
    pairs: 1,
  });
  expect(canaryRatio({ durationsMs: [null], commandMs: [null] }, { durationsMs: [2], commandMs: [1] })).toMatchObject({
    ratio: null,
    interval: null,
    pairs: 0,
    medianMs: null,
  });
});

test('the interval is the same for the same rounds (fixed seed)', () => {
  const a = { durationsMs: [5, 6, 7, 8, 9, 10], commandMs: [4, 5, 6, 7, 8, 9] };
  const b = { durationsMs: [3, 4, 3, 4, 3, 4], commandMs: [2, 3, 2, 3, 2, 3] };
  expect(canaryRatio(a, b)).toEqual(canaryRatio(a, b));
});
