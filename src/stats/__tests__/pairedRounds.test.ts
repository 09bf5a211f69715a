import { adjacentRounds, pairedComparison, pairedDifference, pairedRounds, pairedVerdict } from '../paired';

const run = (side: 'a' | 'b', ms: number | null) => ({ side, ms });

describe('adjacentRounds: rounds rebuilt from runs in the order they ran', () => {
  test('interleaved runs give back their rounds, whichever backend ran first in a round', () => {
    expect(adjacentRounds([run('b', 10), run('a', 15), run('b', 11), run('a', 17)])).toEqual({ a: [15, 17], b: [10, 11] });
    expect(adjacentRounds([run('a', 15), run('b', 10), run('a', 17), run('b', 11)])).toEqual({ a: [15, 17], b: [10, 11] });
  });

  test('runs of one backend in a row stay unpaired: another session compared the baseline with something else', () => {
    // Session 1: baseline against another backend (its runs are not in this sequence); session 2: against a.
    const runs = [run('b', 9), run('b', 9.5), run('b', 10), run('b', 10), run('a', 15), run('b', 11), run('a', 17)];
    expect(adjacentRounds(runs)).toEqual({ a: [15, 17], b: [10, 11] });
  });

  test('a failed run keeps its place (null), so pairedRounds drops that round as compare does', () => {
    const rounds = adjacentRounds([run('b', 10), run('a', null), run('b', 11), run('a', 17), run('b', null), run('a', 20)]);
    expect(rounds).toEqual({ a: [null, 17, 20], b: [10, 11, null] });
    expect(pairedRounds(rounds.a, rounds.b)).toEqual({ a: [17], b: [11] });
  });
});

test("pairedDifference and pairedVerdict are pairedComparison's difference and verdict", () => {
  const a = [105, 98, 111, 120, 101, 99];
  const b = [100, 95, 100, 104, 96, 97];
  const full = pairedComparison(a, b);
  expect(pairedDifference(a, b)).toEqual(full.difference);
  expect(pairedVerdict(pairedDifference(a, b))).toBe(full.verdict);
  expect(full.verdict).toBe('slower');
  expect(pairedDifference([1], [2])).toBeNull();
  expect(pairedVerdict(null)).toBe('too few pairs');
  expect(pairedVerdict(pairedDifference([1, 3, 2], [2, 1, 3]))).toBe('no significant difference');
});
