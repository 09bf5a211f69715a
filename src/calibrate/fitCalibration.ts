/*
 * From timed workload runs to per-operation costs (pure). Per backend and class, one least-squares
 * line of the command's own time against the operations the run did:
 *
 *   commandMs = a_class + cost_class · n
 *
 * fitted on that class's runs alone: the classes' noise differs by orders of magnitude (a file
 * creation waits on the disk, a getppid() does not), and one fit over every class would give every
 * cost the noisiest class's residuals. A sample is a whole run of one class, or one class's phase
 * of a run that does them all (runCalibration's `batch`, each phase timed by the program: the same
 * line, without the start's noise). The command's start is measured on its own: the program
 * run with `noop`, its mean with a t interval. A backend's cost of isolation per operation is its
 * cost less the baseline's (`none`), with a Welch interval. The fixed cost, the time around the
 * command, is the mean of durationMs − commandMs over the backend's runs (but `leave`'s), with its
 * t interval.
 *
 * The fixed cost per file a run leaves: the program run with `leave N` writes N small files and
 * leaves them; (its runs' mean time around the command − the `noop` runs') / N, with a Welch
 * interval. Docker's container removal forces an ext4 journal commit that first writes out every
 * file the command left with dirty data (~11 µs a file here): npm ci's 1 900 files made its fixed
 * part 50 ms longer than a C build's (docs/calibration.md). Files written by the command can only
 * change what comes after it: where the backend's phases time what follows the command (`exit`),
 * that part alone is compared, with the same expectation as the whole and far less noise (docker
 * at load 2: ±5 ms a run against ±20-35 for the whole time around the command, whose container
 * creation and start vary most).
 */
import { leastSquares, differenceInterval, welchDifference } from '../stats/leastSquares';
import { mean, stddev } from '../stats/descriptive';
import { meanInterval, type Interval } from '../stats/intervals';
import { CLASSES, type ClassName } from './classes';

export interface CalibrationSample {
  backend: string;
  /**
   * `start`: the program run with `noop` (n = 0); `batch`: a run of every class's phases (n = 0);
   * `leave`: the program run with `leave N`, which writes N files and leaves them (n = N): its
   * time around the command only, in no class's line and not in `fixedMs`.
   */
  class: ClassName | 'start' | 'batch' | 'leave';
  /** Operations the run (or phase) did. */
  n: number;
  /** The command's own time (the launcher's), or a phase's time inside its run. */
  commandMs: number;
  /** The whole run as recorded (the spawner's window or the backend call); a phase: its run's. */
  durationMs: number;
  /** Of durationMs − commandMs, the part after the command (its phases after `command`), where the backend times it. */
  afterMs?: number;
  /**
   * One class's phase of a `batch` run, timed by the program itself: its run's fixed cost is
   * counted once, from the run's own `batch` sample, not from its phases.
   */
  phase?: boolean;
}

export interface ClassCost {
  class: ClassName;
  /** Milliseconds per operation on this backend. */
  msPerOp: Interval;
  /** This backend's cost per operation less the baseline's; null on the baseline itself. */
  deltaMsPerOp: Interval | null;
  /** R² of this class's line. */
  rSquared: number;
  /** Why this class's fit is poor (R² too low, or its interval too wide for its estimate), else null. */
  poor: string | null;
}

export interface BackendCalibration {
  backend: string;
  runs: number;
  /** The command's own time doing nothing (the program run with `noop`): starting it on this backend. */
  startMs: Interval;
  /** startMs less the baseline's; null on the baseline. */
  deltaStartMs: Interval | null;
  /** The time around the command: mean of durationMs − commandMs (of the runs but `leave`'s). */
  fixedMs: Interval;
  /**
   * What each file a run writes and leaves adds to the time around the command: (mean fixed part
   * of the `leave N` runs − the `noop` runs') / N, Welch interval. Absent (calibrations stored
   * before it) or null (no `leave` runs): no such term.
   */
  fixedPerFileMs?: Interval | null;
  /** fixedPerFileMs less the baseline's; null on the baseline or where either is missing. */
  deltaFixedPerFileMs?: Interval | null;
  /** The lowest R² of its classes' lines. */
  rSquared: number;
  costs: ClassCost[];
  /** What makes this backend's fit poor, one phrase each; empty when it is good. */
  poorFit: string[];
}

export interface CalibrationFit {
  baseline: string;
  backends: BackendCalibration[];
}

/** A fit is poor below this R², or where a class's 95 % interval is wider than ± this share of its estimate. */
export const POOR_R_SQUARED = 0.9;
export const POOR_RELATIVE_HALF_WIDTH = 0.3;
/**
 * The fixed cost per file is poor by the same rule, but only where its half-width exceeds this
 * (1 µs a file, 1 ms per 1 000 files): on none and the backends that do not pay it, its estimate
 * is 0 ± a fraction of a µs, a relative width without meaning for any prediction.
 */
export const POOR_PER_FILE_HALF_WIDTH_MS = 0.001;

interface Estimate {
  estimate: number;
  se: number;
  df: number;
  interval: Interval;
}

function slopeOf(samples: readonly CalibrationSample[]): { slope: Estimate; rSquared: number } {
  const fit = leastSquares(
    samples.map((s) => [1, s.n]),
    samples.map((s) => s.commandMs),
  );
  return {
    slope: {
      estimate: fit.coefficients[1] as number,
      se: fit.standardErrors[1] as number,
      df: fit.df,
      interval: fit.intervals[1] as Interval,
    },
    rSquared: fit.rSquared,
  };
}

function meanOf(values: readonly number[]): Estimate {
  const interval = meanInterval(values);
  if (interval === null) throw new RangeError(`fitCalibration needs two runs or more of 'start', got ${values.length}`);
  return { estimate: mean(values), se: stddev(values) / Math.sqrt(values.length), df: values.length - 1, interval };
}

function relativeHalfWidth(interval: Interval): number {
  return (interval.high - interval.low) / 2 / Math.abs(interval.estimate);
}

/** `±37 %`: a relative half-width as a poor fit names it. */
const widthPhrase = (width: number): string => `±${Number.isFinite(width) ? Math.round(width * 100) : '∞'} %`;

interface BackendEstimates {
  start: Estimate;
  slopes: Map<ClassName, { slope: Estimate; rSquared: number }>;
  fixed: Interval;
  perFile: Estimate | null;
  runs: number;
}

const aroundOf = (runs: readonly CalibrationSample[]) => runs.map((s) => s.durationMs - s.commandMs);
/** The time after the command where every run has it, else the whole time around it. */
const afterOf = (runs: readonly CalibrationSample[]) =>
  runs.every((s) => s.afterMs !== undefined) ? runs.map((s) => s.afterMs as number) : aroundOf(runs);

/** (mean fixed part of the `leave` runs − the `noop` runs') / N; null without two of each. */
function perFileOf(name: string, own: readonly CalibrationSample[]): Estimate | null {
  const leave = own.filter((s) => s.class === 'leave');
  const noop = own.filter((s) => s.class === 'start');
  if (leave.length < 2 || noop.length < 2) return null;
  const n = (leave[0] as CalibrationSample).n;
  if (n <= 0 || leave.some((s) => s.n !== n)) {
    throw new RangeError(
      `fitCalibration needs every 'leave' run on ${name} to leave the same number of files (> 0), got ${leave.map((s) => s.n).join(', ')}`,
    );
  }
  const after = afterOf([...leave, ...noop]);
  const a = meanOf(after.slice(0, leave.length));
  const b = meanOf(after.slice(leave.length));
  const { estimate, se, df, interval } = welchDifference(a, b);
  return {
    estimate: estimate / n,
    se: se / n,
    df: Number.isFinite(df) && df > 0 ? df : a.df + b.df,
    interval: { ...interval, estimate: estimate / n, low: interval.low / n, high: interval.high / n },
  };
}

function estimate(name: string, own: readonly CalibrationSample[]): BackendEstimates {
  const slopes = new Map<ClassName, { slope: Estimate; rSquared: number }>();
  for (const c of CLASSES) {
    const runs = own.filter((s) => s.class === c.name);
    const sizes = new Set(runs.map((s) => s.n));
    if (sizes.size < 2 || runs.length < 3) {
      throw new RangeError(
        `fitCalibration needs two sizes or more of '${c.name}' on ${name} and three runs, got ${sizes.size} sizes in ${runs.length} runs`,
      );
    }
    slopes.set(c.name, slopeOf(runs));
  }
  const runs = own.filter((s) => s.phase !== true);
  const fixed = aroundOf(runs.filter((s) => s.class !== 'leave'));
  return {
    start: meanOf(own.filter((s) => s.class === 'start').map((s) => s.commandMs)),
    slopes,
    fixed: meanInterval(fixed) ?? { estimate: fixed[0] ?? 0, low: fixed[0] ?? 0, high: fixed[0] ?? 0, level: 0.95, method: 't' },
    perFile: perFileOf(name, own),
    runs: runs.length,
  };
}

/**
 * Fits every backend of `samples`. Throws a RangeError when a backend lacks two sizes of a class
 * or two starts (its cost would be undetermined), or when the baseline has no samples.
 */
export function fitCalibration(samples: readonly CalibrationSample[], baseline = 'none'): CalibrationFit {
  const names = [...new Set(samples.map((s) => s.backend))];
  if (!names.includes(baseline)) throw new RangeError(`fitCalibration needs runs on the baseline '${baseline}', got ${names.join(', ')}`);
  const estimates = new Map(
    names.map((name) => [
      name,
      estimate(
        name,
        samples.filter((s) => s.backend === name),
      ),
    ]),
  );
  const base = estimates.get(baseline) as BackendEstimates;
  const backends = names.map((name): BackendCalibration => {
    const own = estimates.get(name) as BackendEstimates;
    const isBase = name === baseline;
    const costs = CLASSES.map((c): ClassCost => {
      const { slope, rSquared } = own.slopes.get(c.name) as { slope: Estimate; rSquared: number };
      const baseSlope = (base.slopes.get(c.name) as { slope: Estimate }).slope;
      const width = relativeHalfWidth(slope.interval);
      const why = [
        // An operation cannot save time: a line falling with the count (calibrate --scale 0.001
        // timed 1 and 3 clock reads, whatever came first paying for both) is no cost, however
        // well it fits (hostile trial 2026-12-07, finding 10: -0.055 ms per read, R² 1.000, not flagged).
        ...(slope.interval.high < 0 ? ['below 0'] : []),
        ...(rSquared < POOR_R_SQUARED ? [`R² ${rSquared.toFixed(2)}`] : []),
        ...(width > POOR_RELATIVE_HALF_WIDTH ? [widthPhrase(width)] : []),
      ];
      return {
        class: c.name,
        msPerOp: slope.interval,
        deltaMsPerOp: isBase ? null : differenceInterval(slope, baseSlope),
        rSquared,
        poor: why.length === 0 ? null : `${c.name} ${why.join(', ')}`,
      };
    });
    const perFile = own.perFile?.interval ?? null;
    const perFileWidth = perFile === null ? 0 : relativeHalfWidth(perFile);
    const perFilePoor =
      perFile !== null && perFileWidth > POOR_RELATIVE_HALF_WIDTH && (perFile.high - perFile.low) / 2 > POOR_PER_FILE_HALF_WIDTH_MS
        ? [`fixed per file ${widthPhrase(perFileWidth)}`]
        : [];
    return {
      backend: name,
      runs: own.runs,
      startMs: own.start.interval,
      deltaStartMs: isBase ? null : differenceInterval(own.start, base.start),
      fixedMs: own.fixed,
      fixedPerFileMs: perFile,
      deltaFixedPerFileMs: isBase || own.perFile === null || base.perFile === null ? null : differenceInterval(own.perFile, base.perFile),
      rSquared: Math.min(...costs.map((c) => c.rSquared)),
      costs,
      poorFit: [...costs.flatMap((c) => (c.poor === null ? [] : [c.poor])), ...perFilePoor],
    };
  });
  return { baseline, backends };
}
