import { balancedOrder } from '../../src/stats/balancedOrder';

/*
 * The interleaved benches' balanced order (issue 27, start+stop against prom-client): each
 * contender runs right after each other one equally often, so that what one leaves behind (a
 * nursery it filled, marking it made due) is paid by all the others alike. The rotated order it
 * replaces for start+stop kept the cyclic order: prom-client always ran right after the seed
 * literal, the contender that allocates the most.
 */

/** How often each contender runs right after each other one, and in each position, over `rounds` rounds. */
function counts(order: (round: number) => number[], rounds: number): { after: number[]; positions: number[] } {
  const after = new Map<string, number>();
  const positions = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    const row = order(r);
    row.forEach((c, i) => {
      positions.set(`${c}@${i}`, (positions.get(`${c}@${i}`) ?? 0) + 1);
      if (i > 0) after.set(`${row[i - 1]}>${c}`, (after.get(`${row[i - 1]}>${c}`) ?? 0) + 1);
    });
  }
  return { after: [...after.values()], positions: [...positions.values()] };
}

test.each([2, 3, 4, 5, 7, 8])('%i contenders: every one right after every other one, and in every position, equally often', (n) => {
  const cycle = n % 2 === 0 ? n : 2 * n;
  for (let r = -cycle; r < 2 * cycle; r++) expect([...balancedOrder(n, r)].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
  const { after, positions } = counts((r) => balancedOrder(n, r), 2 * cycle);
  expect(after).toHaveLength(n * (n - 1));
  expect(new Set(after).size).toBe(1);
  expect(positions).toHaveLength(n * n);
  expect(new Set(positions).size).toBe(1);
});

test('the rotated order keeps each contender after the same one', () => {
  const n = 7;
  const { after } = counts((r) => Array.from({ length: n }, (_, k) => (r + k) % n), 2 * n);
  // n pairs only, each 2n times: the others never.
  expect(after).toHaveLength(n);
});
