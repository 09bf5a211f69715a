import { LOG_BIN_FLOOR_MS, logUpperBounds } from '../logBins';

test('equal ratios from min to max: 1 ms … 1000 ms in three bins ends at 10, 100 and 1000 ms', () => {
  const bounds = logUpperBounds(1, 1000, 3);
  expect(bounds).toHaveLength(3);
  expect(bounds[0]).toBeCloseTo(10, 9);
  expect(bounds[1]).toBeCloseTo(100, 9);
  expect(bounds[2]).toBe(1000);
});

test('2 ms … 128 ms in six bins doubles each time, the last bound being the maximum itself', () => {
  const bounds = logUpperBounds(2, 128, 6);
  [4, 8, 16, 32, 64].forEach((b, i) => expect(bounds[i]).toBeCloseTo(b, 9));
  expect(bounds[5]).toBe(128);
});

test('a 0 ms minimum starts at the floor instead of log(0)', () => {
  const bounds = logUpperBounds(0, 1, 3);
  expect(bounds[0]).toBeCloseTo(LOG_BIN_FLOOR_MS * 10, 12);
  expect(bounds[1]).toBeCloseTo(LOG_BIN_FLOOR_MS * 100, 12);
  expect(bounds[2]).toBe(1);
});

test('an empty range or a single bin gives one bound, the maximum', () => {
  expect(logUpperBounds(5, 5, 10)).toEqual([5]);
  expect(logUpperBounds(1, 100, 1)).toEqual([100]);
});

test('bounds strictly increase, as HistoryReader.histogram requires', () => {
  const bounds = logUpperBounds(0.4, 180_000, 1000);
  for (let i = 1; i < bounds.length; i++) expect(bounds[i] as number).toBeGreaterThan(bounds[i - 1] as number);
});
