/**
 * A power of two that brings the largest magnitude of a series near 1, when the series is so
 * large that sums over it could overflow: the change-point statistics sum values, their squares
 * and their pairwise distances, and a step from 1e308 to −1e308 made every one of those infinite
 * (issue 23). Multiplying by a power of two is exact, and IEEE rounding is relative, so every sum
 * and quotient computed on the scaled values is the scaled value of the exact-arithmetic one
 * rounded the same way: the results do not change, except that nothing overflows. Series whose
 * magnitudes stay below 2^256 (any duration ever measured) get 1: nothing is multiplied at all.
 */
const LIMIT = 2 ** 256;

export function powerScale(values: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < values.length; i++) {
    const magnitude = Math.abs(values[i] as number);
    if (magnitude > largest) largest = magnitude;
  }
  if (!(largest > LIMIT) || !Number.isFinite(largest)) return 1;
  // 2^-(e + 1) with 2^e <= largest < 2^(e + 1): the largest scaled magnitude is in [0.5, 1).
  // log2 may round up at the top of a binade; the two checks put the exponent right.
  let factor = 2 ** -(Math.floor(Math.log2(largest)) + 1);
  if (largest * factor >= 1) factor /= 2;
  if (largest * factor < 0.5) factor *= 2;
  return factor;
}
