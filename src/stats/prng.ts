/**
 * A small seeded pseudo-random generator (mulberry32: 32-bit state, period 2^32) so that a
 * bootstrap gives the same interval for the same data on every run and machine. Statistical
 * quality is ample for resampling indexes; it is not for cryptography.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed every comparison uses unless told otherwise. */
export const DEFAULT_SEED = 0x5eed;
