import { kthOfScan, medianOfRange, medianOfScan } from '../radixSelect';
import { powerScale } from '../powerScale';
import { mulberry32 } from '../prng';

/** The k-th smallest by sorting a copy: the reference the selection must match exactly. */
const sortedCopy = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
const scanOf = (values: readonly number[]) => (visit: (v: number) => void) => values.forEach((v) => visit(v));

describe('radix selection without copies', () => {
  test('every order statistic of series with negatives, duplicates, zeros of both signs, huge and tiny values equals the sorted copy', () => {
    const random = mulberry32(23);
    const series: number[][] = [
      [3, 1, 2],
      [5, 5, 5, 5],
      [-0, 0, -1, 1, 0],
      [1e308, -1e308, 5e-324, -5e-324, 0, 1],
      Array.from({ length: 500 }, () => (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20)),
      Array.from({ length: 301 }, () => Math.round(random() * 7)),
    ];
    for (const values of series) {
      const sorted = sortedCopy(values);
      for (let k = 0; k < values.length; k++)
        expect([k, kthOfScan(values.length, k, scanOf(values)) + 0]).toEqual([k, (sorted[k] as number) + 0]);
    }
  });

  test('the median is the middle value, or the mean of the two middle ones, as the project defines it', () => {
    expect(medianOfScan(3, scanOf([3, 1, 2]))).toBe(2);
    expect(medianOfScan(4, scanOf([4, 1, 3, 2]))).toBe(2.5);
    expect(medianOfScan(4, scanOf([7, 7, 1, 9]))).toBe(7);
    expect(medianOfScan(2, scanOf([1e308, -1e308]))).toBe(0);
    const random = mulberry32(5);
    for (let trial = 0; trial < 50; trial++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.round((random() - 0.3) * 50));
      const sorted = sortedCopy(values);
      const m = values.length >> 1;
      const expected = values.length % 2 === 1 ? (sorted[m] as number) : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2;
      expect(medianOfRange(Float64Array.from(values), 0, values.length)).toBe(expected);
    }
    expect(medianOfRange([9, 1, 2, 3, 9], 1, 4)).toBe(2);
  });

  test('a k outside the values is a RangeError', () => {
    expect(() => kthOfScan(3, 3, scanOf([1, 2, 3]))).toThrow(RangeError);
    expect(() => kthOfScan(3, -1, scanOf([1, 2, 3]))).toThrow(RangeError);
  });
});

describe('powerScale', () => {
  test('1 for any series a measurement produces; a power of two that brings the largest magnitude into [0.5, 1) beyond 2^256', () => {
    expect(powerScale([1, 2, 3e9, -4e70])).toBe(1);
    expect(powerScale([])).toBe(1);
    for (const largest of [1e308, -1.7976931348623157e308, 2 ** 300, 3e77]) {
      const factor = powerScale([1, largest]);
      expect(Math.log2(factor)).toBe(Math.round(Math.log2(factor)));
      expect(Math.abs(largest * factor)).toBeGreaterThanOrEqual(0.5);
      expect(Math.abs(largest * factor)).toBeLessThan(1);
    }
  });
});
