/**
 * What one canary round says about one backend against `none`, from the round's interleaved runs
 * (pure: the same rounds give the same answer; the bootstrap has a fixed seed).
 *
 * - ratio: the slowdown inside the command, median(commandMs on the backend) / median(commandMs
 *   on none), over the rounds where both runs succeeded (round i of each is a pair), with a 95 %
 *   paired percentile bootstrap interval of that ratio of medians (stats/bootstrap.ts; null below
 *   two pairs). Where a side lacks commandMs (no timer next to the command), durations are used
 *   and `basis` says so: the ratio then holds the fixed cost too.
 * - fixed cost: the median of the backend's overheadMs (durationMs − commandMs), what isolation
 *   added around the command in this round.
 */
import { pairedBootstrapInterval } from './bootstrap';
import { median } from './descriptive';

/** Resamples of the canary's bootstrap: enough for an interval from a handful of pairs, cheap on the server's thread. */
export const CANARY_RESAMPLES = 2000;

/** One backend's runs of a round, one entry per interleaved round; null where that run failed. */
export interface CanarySeries {
  durationsMs: readonly (number | null)[];
  /** The command's own time per run; null where failed or not measured. */
  commandMs: readonly (number | null)[];
}

export interface CanaryBackendRatio {
  /** median / median; null without a successful pair or for a zero baseline. */
  ratio: number | null;
  /** Its 95 % paired bootstrap interval; null below two pairs (no error bar from one run). */
  interval: { low: number; high: number } | null;
  /** What was divided: the commands' own times, or (without them) the whole durations. */
  basis: 'command' | 'duration';
  /** Rounds where both this backend and none succeeded. */
  pairs: number;
  /** Median commandMs (or duration, see basis) on this backend and on none, over the pairs. */
  medianMs: number | null;
  baselineMedianMs: number | null;
  /** Median of durationMs − commandMs over this backend's successful timed runs; null without commandMs. */
  fixedCostMs: number | null;
}

/** The median as stats/descriptive defines it (mean of the two middle values for even n) of values already sorted. */
function sortedMedian(s: Float64Array): number {
  const n = s.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function ratioOfMedians(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return sortedRatioOfMedians(Float64Array.from(a), Float64Array.from(b));
}

/**
 * The bootstrap's statistic: sorts its two arrays in place (the bootstrap refills them before each
 * call), so a resample costs two native numeric sorts and no allocation.
 */
function sortedRatioOfMedians(a: Float64Array, b: Float64Array): number {
  const mb = sortedMedian(b.sort());
  return mb === 0 ? Number.NaN : sortedMedian(a.sort()) / mb;
}

function fixedCost(series: CanarySeries): number | null {
  const overheads: number[] = [];
  series.durationsMs.forEach((d, i) => {
    const c = series.commandMs[i];
    if (d !== null && c !== null && c !== undefined) overheads.push(d - c);
  });
  return overheads.length === 0 ? null : median(overheads);
}

/** The backend against the baseline (`none`) over one round's paired runs. */
export function canaryRatio(backend: CanarySeries, baseline: CanarySeries, resamples = CANARY_RESAMPLES): CanaryBackendRatio {
  const n = Math.min(backend.durationsMs.length, baseline.durationsMs.length);
  const pairs: { a: number[]; b: number[] } = { a: [], b: [] };
  const withCommand: { a: number[]; b: number[] } = { a: [], b: [] };
  for (let i = 0; i < n; i++) {
    const da = backend.durationsMs[i];
    const db = baseline.durationsMs[i];
    if (da === null || da === undefined || db === null || db === undefined) continue;
    pairs.a.push(da);
    pairs.b.push(db);
    const ca = backend.commandMs[i];
    const cb = baseline.commandMs[i];
    if (ca !== null && ca !== undefined && cb !== null && cb !== undefined) {
      withCommand.a.push(ca);
      withCommand.b.push(cb);
    }
  }
  // The commands' own times only when every pair has them: a mix would divide unlike things.
  const basis = pairs.a.length > 0 && withCommand.a.length === pairs.a.length ? 'command' : 'duration';
  const { a, b } = basis === 'command' ? withCommand : pairs;
  const base = { basis, pairs: a.length, fixedCostMs: fixedCost(backend) } as const;
  if (a.length === 0) return { ...base, ratio: null, interval: null, medianMs: null, baselineMedianMs: null };
  const estimate = ratioOfMedians(a, b);
  const medians = { medianMs: median(a), baselineMedianMs: median(b) };
  if (!Number.isFinite(estimate)) return { ...base, ...medians, ratio: null, interval: null };
  const interval = pairedBootstrapInterval(a, b, sortedRatioOfMedians, { resamples });
  return { ...base, ...medians, ratio: estimate, interval: interval === null ? null : { low: interval.low, high: interval.high } };
}
