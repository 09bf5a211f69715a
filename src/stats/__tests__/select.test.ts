import { selectInPlace, selectMany } from '../select';
import { nearestRankIndex } from '../percentile';

function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
}

test('selectInPlace finds the k-th smallest on random, sorted, reversed and constant input', () => {
  const rnd = lcg(42);
  const inputs = [
    Float64Array.from({ length: 1001 }, () => Math.floor(rnd() * 500)),
    Float64Array.from({ length: 300 }, (_, i) => i),
    Float64Array.from({ length: 300 }, (_, i) => 300 - i),
    new Float64Array(50).fill(7),
    Float64Array.of(3),
  ];
  for (const input of inputs) {
    const sorted = input.slice().sort();
    for (const k of [0, 1, input.length >> 1, input.length - 1]) {
      expect(selectInPlace(input.slice(), k)).toBe(sorted[k]);
    }
  }
});

test('selectMany gives the nearest-rank percentiles a sort would', () => {
  const rnd = lcg(7);
  const values = Float64Array.from({ length: 20_000 }, () => Math.exp(rnd() * 5));
  const sorted = values.slice().sort();
  const ks = [0.5, 0.9, 0.95, 0.99].map((q) => nearestRankIndex(q, values.length));
  expect(selectMany(values.slice(), ks)).toEqual(ks.map((k) => sorted[k]));
});
