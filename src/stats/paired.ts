/**
 * One backend against the baseline, from interleaved rounds: round i of each is a pair (the same
 * machine state hit both), so the statistics work on the per-round differences dᵢ = aᵢ − bᵢ.
 * - difference: mean of dᵢ with the paired t interval (ms);
 * - ratio: Σa / Σb with a paired percentile bootstrap (fixed seed, see bootstrap.ts);
 * - test: Wilcoxon signed-rank on dᵢ (two-sided p-value);
 * - effect: Hodges-Lehmann shift of dᵢ (ms), robust to outlier rounds.
 * The verdict is "no significant difference" whenever the difference interval contains 0, and
 * "too few pairs" below two pairs (no error bar from one run).
 */
import { pairedBootstrapInterval, ratioOfMeans, type BootstrapOptions } from './bootstrap';
import { hodgesLehmannShift } from './hodgesLehmann';
import { DEFAULT_LEVEL, meanInterval, spans, type Interval } from './intervals';
import { expectation } from '../validation';
import { wilcoxonSignedRank, type SignedRankTest } from './wilcoxon';

export type Verdict = 'slower' | 'faster' | 'no significant difference' | 'too few pairs';

export interface PairedComparison {
  pairs: number;
  /** Mean of a − b per round (ms) and its paired t interval; null below two pairs. */
  difference: Interval | null;
  /** Σa / Σb and its bootstrap interval; null below two pairs or for a zero baseline. */
  ratio: Interval | null;
  test: SignedRankTest | null;
  /** Hodges-Lehmann shift of a − b (ms); null without pairs. */
  hodgesLehmannMs: number | null;
  verdict: Verdict;
}

/** Durations of one backend per round, null where that round's run failed. */
export type Rounds = readonly (number | null)[];

/** The rounds where both sides have a duration, as two aligned arrays. */
export function pairedRounds(a: Rounds, b: Rounds): { a: number[]; b: number[] } {
  const pa: number[] = [];
  const pb: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== null && x !== undefined && y !== null && y !== undefined) {
      pa.push(x);
      pb.push(y);
    }
  }
  return { a: pa, b: pb };
}

/**
 * Rounds rebuilt from two backends' runs fed in the order they ran (a history keeps no round
 * number): a run is paired with the other backend's run right next to it, each run used once.
 * Interleaved runs (compare, the canary: one run per backend per round) give back exactly their
 * rounds; runs of one backend in a row have no partner and are left out. Fed run by run, so a
 * long history is never held in memory; `ms` is null for a failed run (its round is then dropped
 * by pairedRounds, as compare drops it).
 */
export class AdjacentRounds {
  readonly a: (number | null)[] = [];
  readonly b: (number | null)[] = [];
  private pending: { side: 'a' | 'b'; ms: number | null } | null = null;

  add(side: 'a' | 'b', ms: number | null): void {
    const previous = this.pending;
    if (previous === null || previous.side === side) {
      this.pending = { side, ms };
      return;
    }
    this.a.push(side === 'a' ? ms : previous.ms);
    this.b.push(side === 'b' ? ms : previous.ms);
    this.pending = null;
  }
}

/** AdjacentRounds over a list. */
export function adjacentRounds(runs: readonly { side: 'a' | 'b'; ms: number | null }[]): { a: (number | null)[]; b: (number | null)[] } {
  const rounds = new AdjacentRounds();
  for (const { side, ms } of runs) rounds.add(side, ms);
  return { a: rounds.a, b: rounds.b };
}

/** Mean of a − b per round (ms) with its paired t interval; null below two pairs. */
export function pairedDifference(a: readonly number[], b: readonly number[], level = DEFAULT_LEVEL): Interval | null {
  if (a.length !== b.length) {
    throw new RangeError(expectation('b.length', `${a.length} (one value per round of \`a\`)`, b.length));
  }
  return meanInterval(
    a.map((x, i) => x - (b[i] as number)),
    level,
  );
}

/** compare's verdict on a paired difference: its sign, unless its interval contains 0. */
export function pairedVerdict(difference: Interval | null): Verdict {
  return difference === null
    ? 'too few pairs'
    : spans(difference)
      ? 'no significant difference'
      : difference.estimate > 0
        ? 'slower'
        : 'faster';
}

/**
 * `a` (a backend's round times) against `b` (the baseline's, round by round): the paired t
 * interval of the difference, the bootstrap interval of the ratio, Wilcoxon's test, the
 * Hodges-Lehmann shift and the verdict. Throws a RangeError when the lengths differ.
 */
export function pairedComparison(a: readonly number[], b: readonly number[], options: BootstrapOptions = {}): PairedComparison {
  const difference = pairedDifference(a, b, options.level ?? DEFAULT_LEVEL);
  const differences = a.map((x, i) => x - (b[i] as number));
  const ratio = pairedBootstrapInterval(a, b, ratioOfMeans, options);
  const verdict = pairedVerdict(difference);
  return {
    pairs: a.length,
    difference,
    ratio,
    test: wilcoxonSignedRank(differences),
    hodgesLehmannMs: hodgesLehmannShift(differences),
    verdict,
  };
}
