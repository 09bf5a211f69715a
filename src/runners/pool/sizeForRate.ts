/**
 * Little's law for a pool of fresh sandboxes: each run takes one and its replacement is ready one
 * refill time T later, so at an arrival rate λ about λ·T sandboxes are being refilled at any time
 * (Little's law), and a run misses when the runs of the last T have taken every sandbox. With
 * arrivals as a Poisson stream, the runs of the last T are Poisson(λ·T): a pool of `s` misses with
 * probability P(N ≥ s). The size kept is the smallest `s` that keeps that under the target.
 */

/** P(N ≥ s) for N ~ Poisson(mean). */
export function poissonTail(mean: number, s: number): number {
  if (s <= 0) return 1;
  if (mean <= 0) return 0;
  // 1 − P(N ≤ s − 1), the terms built up one from the other (no factorials, no overflow below ~700).
  let term = Math.exp(-mean);
  let below = term;
  for (let k = 1; k < s; k++) {
    term *= mean / k;
    below += term;
  }
  return Math.max(0, 1 - below);
}

export interface SizeAdvice {
  /** Sandboxes being refilled at once on average: λ·T (Little's law). */
  inRefill: number;
  /** The smallest size whose miss probability is at most the target. */
  size: number;
  /** That size's miss probability. */
  missProbability: number;
}

/** The size a pool needs at `ratePerSecond` arrivals with refills of `refillMs`, to miss at most `targetMissRate` of runs. */
export function sizeForRate(ratePerSecond: number, refillMs: number, targetMissRate: number): SizeAdvice {
  const inRefill = (ratePerSecond * refillMs) / 1000;
  let size = 0;
  // The mean plus a few dozen standard deviations covers any target above 1e-12; the bound keeps a NaN from looping.
  const limit = Math.ceil(inRefill + 40 * Math.sqrt(inRefill) + 40);
  while (size < limit && poissonTail(inRefill, size) > targetMissRate) size++;
  return { inRefill, size, missProbability: poissonTail(inRefill, size) };
}
