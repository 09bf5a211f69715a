/**
 * When adaptive runs (`--runs auto`) may stop: pure functions over the rounds so far.
 *
 * Precision of one backend, as a fraction:
 * - the baseline (and a backend compared alone): half-width of the 95 % t interval of its mean run
 *   time, divided by that mean;
 * - every other backend: half-width of the 95 % paired t interval of its per-round difference to
 *   the baseline, divided by the baseline's mean, i.e. how many percentage points the ratio is
 *   still uncertain by. (Dividing by the overhead itself would never converge for a backend that
 *   adds almost nothing.)
 * The comparison is precise enough when every backend's precision is <= the target.
 */
import { mean } from '../stats/descriptive';
import { halfWidth, meanInterval } from '../stats/intervals';
import { pairedRounds, type Rounds } from '../stats/paired';

export function successes(rounds: Rounds): number[] {
  return rounds.filter((x): x is number => x !== null);
}

/** Each backend's precision (fraction; Infinity while it has fewer than two usable rounds). */
export function precisions(rounds: readonly Rounds[], baselineIndex: number): number[] {
  const base = successes(rounds[baselineIndex] ?? []);
  const baseMean = mean(base);
  return rounds.map((r, i) => {
    if (i === baselineIndex) {
      const interval = meanInterval(base);
      return interval && baseMean > 0 ? halfWidth(interval) / baseMean : Number.POSITIVE_INFINITY;
    }
    const pairs = pairedRounds(r, rounds[baselineIndex] ?? []);
    const interval = meanInterval(pairs.a.map((x, k) => x - (pairs.b[k] as number)));
    const pairedBase = mean(pairs.b);
    return interval && pairedBase > 0 ? halfWidth(interval) / pairedBase : Number.POSITIVE_INFINITY;
  });
}

export type StopReason = 'runs' | 'precision' | 'max-runs' | 'max-time';

export interface AdaptiveLimits {
  /** Target precision as a fraction, e.g. 0.05 for 5 %. */
  precision: number;
  minRuns: number;
  maxRuns: number;
  maxTimeMs: number;
}

/** Why to stop after `round` rounds (1-based) and `elapsedMs`, or null to go on. */
export function adaptiveStop(worstPrecision: number, round: number, elapsedMs: number, limits: AdaptiveLimits): StopReason | null {
  if (round >= limits.minRuns && worstPrecision <= limits.precision) return 'precision';
  if (round >= limits.maxRuns) return 'max-runs';
  if (elapsedMs >= limits.maxTimeMs) return 'max-time';
  return null;
}
