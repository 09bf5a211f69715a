/** Smallest lower edge of a log-scale bin, ms: a 0 ms duration has no logarithm. */
export const LOG_BIN_FLOOR_MS = 0.001;

/**
 * Upper bounds of `count` bins of equal width on a log scale from `minMs` to `maxMs`: bound i is
 * lo · (maxMs / lo)^((i + 1) / count), with lo = max(minMs, LOG_BIN_FLOOR_MS); the last bound is
 * maxMs itself. Run durations span 1 ms to minutes, so equal-width bins would put nearly every run
 * in the first one; equal ratios keep each order of magnitude readable. A single bound [maxMs]
 * when the range is empty (every run as long as the others).
 */
export function logUpperBounds(minMs: number, maxMs: number, count: number): number[] {
  const lo = Math.max(minMs, LOG_BIN_FLOOR_MS);
  if (!(maxMs > lo) || count <= 1) return [maxMs];
  const ratio = Math.log(maxMs / lo);
  const bounds = Array.from({ length: count - 1 }, (_, i) => lo * Math.exp((ratio * (i + 1)) / count));
  bounds.push(maxMs);
  return bounds;
}
