/**
 * Round `round`'s order of `n` contenders in a Williams design: rows 0, 1, n-1, 2, n-2, ... shifted
 * by the round, and for an odd n the same rows reversed. Over n rounds (2n for an odd n), every
 * contender runs right after every other one equally often and in every position equally often, so
 * what one leaves behind (GC debt, caches, a container's teardown, files a hook deletes) is spread
 * evenly over the others instead of always landing on the same one.
 */
export function balancedOrder(n: number, round: number): number[] {
  const cycle = n % 2 === 0 ? n : 2 * n;
  const r = ((round % cycle) + cycle) % cycle;
  const row = Array.from({ length: n }, (_, j) => (((j % 2 === 1 ? (j + 1) / 2 : n - j / 2) % n) + r) % n);
  return r < n ? row : row.reverse();
}
