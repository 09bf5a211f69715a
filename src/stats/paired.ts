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

/**
 * `a` (a backend's round times) against `b` (the baseline's, round by round): the paired t
 * interval of the difference, the bootstrap interval of the ratio, Wilcoxon's test, the
 * Hodges-Lehmann shift and the verdict. Throws a RangeError when the lengths differ.
 */
export function pairedComparison(a: readonly number[], b: readonly number[], options: BootstrapOptions = {}): PairedComparison {
  if (a.length !== b.length) {
    throw new RangeError(expectation('b.length', `${a.length} (one value per round of \`a\`)`, b.length));
  }
  const differences = a.map((x, i) => x - (b[i] as number));
  const difference = meanInterval(differences, options.level ?? DEFAULT_LEVEL);
  const ratio = pairedBootstrapInterval(a, b, ratioOfMeans, options);
  const verdict: Verdict =
    difference === null ? 'too few pairs' : spans(difference) ? 'no significant difference' : difference.estimate > 0 ? 'slower' : 'faster';
  return {
    pairs: a.length,
    difference,
    ratio,
    test: wilcoxonSignedRank(differences),
    hodgesLehmannMs: hodgesLehmannShift(differences),
    verdict,
  };
}
