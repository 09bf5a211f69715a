/*
 * A command's predicted cost of isolation on one backend against the baseline (pure):
 *
 *   total = fixed + inCommand
 *   fixed = the backend's time around the command less the baseline's (calibration runs' means)
 *           + (its fixed cost per file left less the baseline's) × the command's file operations
 *   inCommand = the attribution's sum (attribution.ts)
 *
 * The per-file term: Docker's time around a command grows with the files the command writes and
 * leaves. The container's removal makes the engine fsync, which forces an ext4 journal commit,
 * and in data=ordered mode that first writes out every file with dirty data. Measured 16:22-16:25
 * UTC on 2026-12-06 (compare, 8 runs, docker's `exit` phase median, twice each): 0 files 44.8/45.0
 * ms; 1 900 empty files 45.2/43.0; 1 900 files of 2 400 bytes 68.1/66.0; 19 files of 240 000
 * bytes (the same bytes) 48.3/46.7: ~11-12 µs per file with data, not per byte nor per empty file.
 * npm ci (4 packages, 660 files) paid 308 ms around the command where the C build and tsc paid
 * 250-265, and was predicted 22 % low from a fixed part without it. The calibration prices a file
 * left (`leave` runs, fitCalibration.ts); a profile does not count the files a command writes, so
 * the term multiplies its nearest count, `create` (creations, removals, renames, the directories
 * made): npm ci's 76 against the 660 files it writes (counting opens with O_CREAT needs a
 * tracepoint of its own, docs/calibration.md), C build 21, tsc 10. Until a failed mkdir was
 * counted as a lookup (classes.ts `failedAs`) npm ci's count was 1 913, its 1 837 mkdirs
 * of directories that exist included, and the create class's noise on every backend times 1 913
 * made its prediction ±1.1 s wide. A calibration stored before the term has no per-file cost: 0.
 *
 * Intervals: half-widths added in quadrature (independent errors).
 */
import type { Interval } from '../stats/intervals';
import { attribute, type Attribution } from './attribution';
import type { BackendCalibration } from './fitCalibration';
import type { OperationCounts } from './profile';

export interface Prediction {
  backend: string;
  /** The time around the command, the per-file term included. */
  fixed: Interval;
  /** Of `fixed`, the files' term: (per-file cost less the baseline's) × counts.create; 0 without one. */
  fixedForFiles: Interval;
  /** The files the term counts (counts.create). */
  files: number;
  inCommand: Interval;
  total: Interval;
  attribution: Attribution;
}

/** Within ±15 % of the measured cost: the target issue 26 sets for docker and gvisor. */
export const TOLERANCE = 0.15;

function combine(estimate: number, ...intervals: Interval[]): Interval {
  const margin = Math.sqrt(intervals.reduce((sum, i) => sum + ((i.high - i.low) / 2) ** 2, 0));
  return { estimate, low: estimate - margin, high: estimate + margin, level: 0.95, method: 'sum, half-widths in quadrature' };
}

const scaled = (i: Interval, by: number): Interval => ({ ...i, estimate: i.estimate * by, low: i.low * by, high: i.high * by });

/** (backend's per-file cost − the baseline's) × files; 0 where either calibration has none (stored before it). */
function filesTerm(files: number, own: Interval | null, base: Interval | null): Interval {
  if (own === null || base === null || files === 0) return { estimate: 0, low: 0, high: 0, level: 0.95, method: 'none' };
  return combine((own.estimate - base.estimate) * files, scaled(own, files), scaled(base, files));
}

/** `onThreads`: of `counts`, the operations on the command's other threads (attribution.ts). */
export function predict(
  counts: OperationCounts,
  backend: BackendCalibration,
  baseline: BackendCalibration,
  onThreads?: OperationCounts,
): Prediction {
  const attribution = attribute(counts, backend, baseline, onThreads);
  const files = counts.create;
  const fixedForFiles = filesTerm(files, backend.fixedPerFileMs ?? null, baseline.fixedPerFileMs ?? null);
  const fixed = combine(
    backend.fixedMs.estimate - baseline.fixedMs.estimate + fixedForFiles.estimate,
    backend.fixedMs,
    baseline.fixedMs,
    fixedForFiles,
  );
  const total = combine(fixed.estimate + attribution.inCommand.estimate, fixed, attribution.inCommand);
  return { backend: backend.backend, fixed, fixedForFiles, files, inCommand: attribution.inCommand, total, attribution };
}

export interface PredictionCheck {
  backend: string;
  predictedMs: number;
  /** The measured cost: the paired per-round difference from the baseline, with its 95 % interval. */
  measured: Interval;
  /** (predicted − measured) / measured; null when the measured cost is 0. */
  relativeError: number | null;
  /** |relativeError| ≤ TOLERANCE. */
  withinTolerance: boolean;
  /** The prediction lies in the measured 95 % interval. */
  insideMeasuredInterval: boolean;
  /** The rounds the measurement paired (both runs succeeded), when known: fewer than asked where runs failed. */
  pairs?: number;
}

export function checkPrediction(prediction: Prediction, measured: Interval, pairs?: number): PredictionCheck {
  const predictedMs = prediction.total.estimate;
  const relativeError = measured.estimate === 0 ? null : (predictedMs - measured.estimate) / Math.abs(measured.estimate);
  return {
    backend: prediction.backend,
    predictedMs,
    measured,
    relativeError,
    withinTolerance: relativeError !== null && Math.abs(relativeError) <= TOLERANCE,
    insideMeasuredInterval: measured.low <= predictedMs && predictedMs <= measured.high,
    ...(pairs === undefined ? {} : { pairs }),
  };
}
