/**
 * The whole cost of isolation for one backend and workload (issue 26.1), in three parts:
 * - fixed: the time around the command, durationMs − commandMs (a run's `overheadMs`);
 * - inCommand: the command's own time on the backend minus its time on `none`;
 * - total: fixed + inCommand, i.e. the backend's durationMs − none's commandMs.
 * A backend such as gVisor pays little around the command and much inside it: `fixed` alone
 * ranks it cheap, `total` does not.
 *
 * From interleaved rounds (compare) the three are paired: round i gives fᵢ = dᵢ − cᵢ,
 * kᵢ = cᵢ − nᵢ and tᵢ = dᵢ − nᵢ = fᵢ + kᵢ over the same rounds, each with its paired t interval,
 * so total = fixed + inCommand exactly. From a history's sums (no rounds) they are unpaired:
 * fixed is the t interval of the mean overhead, inCommand and total Welch intervals against
 * none's command time, over the backend's runs that have a command time (the same identity holds).
 * Pure functions, milliseconds in and out.
 */
import { studentTQuantile } from './distributions';
import { DEFAULT_LEVEL, meanInterval, type Interval } from './intervals';
import type { Rounds } from './paired';

export interface IsolationCost {
  /** Mean time around the command per run (ms). */
  fixed: number;
  /** Mean command time on the backend minus on none (ms). */
  inCommand: number;
  /** fixed + inCommand (ms): what a run costs more than the command alone on none. */
  total: number;
  /** The 95 % interval of `total` (ms). */
  low: number;
  high: number;
  /** Rounds paired (paired), or the backend's timed runs (unpaired). */
  runs: number;
  method: 'paired' | 'unpaired';
  intervals: { fixed: Interval; inCommand: Interval; total: Interval };
}

function cost(fixed: Interval, inCommand: Interval, total: Interval, runs: number, method: IsolationCost['method']): IsolationCost {
  return {
    fixed: fixed.estimate,
    inCommand: inCommand.estimate,
    total: total.estimate,
    low: total.low,
    high: total.high,
    runs,
    method,
    intervals: { fixed, inCommand, total },
  };
}

/**
 * From rounds: the backend's durations and command times, and none's command times, round by
 * round (null where a run failed or was not timed; such a round is left out). Null below two
 * complete rounds (no interval from one). Throws nothing: rounds beyond the shortest list are ignored.
 */
export function pairedIsolationCost(
  durationMs: Rounds,
  commandMs: Rounds,
  noneCommandMs: Rounds,
  level = DEFAULT_LEVEL,
): IsolationCost | null {
  const f: number[] = [];
  const k: number[] = [];
  const t: number[] = [];
  const rounds = Math.min(durationMs.length, commandMs.length, noneCommandMs.length);
  for (let i = 0; i < rounds; i++) {
    const d = durationMs[i];
    const c = commandMs[i];
    const n = noneCommandMs[i];
    if (d === null || d === undefined || c === null || c === undefined || n === null || n === undefined) continue;
    f.push(d - c);
    k.push(c - n);
    t.push(d - n);
  }
  const fixed = meanInterval(f, level);
  const inCommand = meanInterval(k, level);
  const total = meanInterval(t, level);
  return fixed && inCommand && total ? cost(fixed, inCommand, total, t.length, 'paired') : null;
}

/** Count, mean and sample variance (n − 1) of one sample: what SQL sums give without the values. */
export interface Moments {
  n: number;
  mean: number;
  variance: number;
}

/** Moments from count, Σx and Σx² (the variance clamped at 0: rounding can push it a hair below). */
export function momentsOf(n: number, sum: number, sumSquares: number): Moments {
  const mean = n > 0 ? sum / n : 0;
  return { n, mean, variance: n > 1 ? Math.max(0, (sumSquares - sum * mean) / (n - 1)) : 0 };
}

function tInterval(m: Moments, level: number): Interval {
  const margin = (studentTQuantile(1 - (1 - level) / 2, m.n - 1) * Math.sqrt(m.variance)) / Math.sqrt(m.n);
  return { estimate: m.mean, low: m.mean - margin, high: m.mean + margin, level, method: 't' };
}

/** Welch's interval of a.mean − b.mean from moments (as welchInterval in twoSample.ts does from values). */
export function welchFromMoments(a: Moments, b: Moments, level = DEFAULT_LEVEL): Interval {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const estimate = a.mean - b.mean;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { estimate, low: estimate, high: estimate, level, method: 'welch-t' };
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const margin = studentTQuantile(1 - (1 - level) / 2, df) * se;
  return { estimate, low: estimate - margin, high: estimate + margin, level, method: 'welch-t' };
}

/** A backend's timed successful runs, as moments of duration, command time and overhead (the same runs for all three). */
export interface TimedRunMoments {
  durationMs: Moments;
  commandMs: Moments;
  overheadMs: Moments;
}

/**
 * From a history's sums: the backend's timed runs against none's command times. Null when either
 * side has fewer than two timed runs. For none itself use baselineIsolationCost.
 */
export function unpairedIsolationCost(backend: TimedRunMoments, noneCommandMs: Moments, level = DEFAULT_LEVEL): IsolationCost | null {
  if (backend.durationMs.n < 2 || noneCommandMs.n < 2) return null;
  const fixed = tInterval(backend.overheadMs, level);
  const inCommand = welchFromMoments(backend.commandMs, noneCommandMs, level);
  const total = welchFromMoments(backend.durationMs, noneCommandMs, level);
  return cost(fixed, inCommand, total, backend.durationMs.n, 'unpaired');
}

/**
 * `none` against itself, from a history's sums: its command is its own reference, so inCommand is
 * exactly 0 and total is its fixed part with the same interval (a Welch interval of none's command
 * times against themselves would claim an uncertainty that is not there). Null below two timed runs.
 */
export function baselineIsolationCost(none: TimedRunMoments, level = DEFAULT_LEVEL): IsolationCost | null {
  if (none.durationMs.n < 2) return null;
  const fixed = tInterval(none.overheadMs, level);
  const zero: Interval = { estimate: 0, low: 0, high: 0, level, method: 'exact' };
  return cost(fixed, zero, { ...fixed }, none.durationMs.n, 'unpaired');
}

/** Most costly first, by total; ties by name. What every view that ranks backends by isolation cost uses. */
export function byTotalCost<T extends { backend: string; isolationMs: IsolationCost | null }>(list: readonly T[]): T[] {
  return [...list].sort(
    (a, b) =>
      (b.isolationMs?.total ?? -Infinity) - (a.isolationMs?.total ?? -Infinity) ||
      (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0),
  );
}
