/*
 * A command's predicted cost of isolation on one backend against the baseline (pure):
 *
 *   total = fixed + inCommand
 *   fixed = the backend's time around the command less the baseline's (calibration runs' means)
 *   inCommand = the attribution's sum (attribution.ts)
 *
 * Intervals: half-widths added in quadrature (independent errors).
 */
import type { Interval } from '../stats/intervals';
import { attribute, type Attribution } from './attribution';
import type { BackendCalibration } from './fitCalibration';
import type { OperationCounts } from './profile';

export interface Prediction {
  backend: string;
  fixed: Interval;
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

/** `onThreads`: of `counts`, the operations on the command's other threads (attribution.ts). */
export function predict(
  counts: OperationCounts,
  backend: BackendCalibration,
  baseline: BackendCalibration,
  onThreads?: OperationCounts,
): Prediction {
  const attribution = attribute(counts, backend, baseline, onThreads);
  const fixed = combine(backend.fixedMs.estimate - baseline.fixedMs.estimate, backend.fixedMs, baseline.fixedMs);
  const total = combine(fixed.estimate + attribution.inCommand.estimate, fixed, attribution.inCommand);
  return { backend: backend.backend, fixed, inCommand: attribution.inCommand, total, attribution };
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
}

export function checkPrediction(prediction: Prediction, measured: Interval): PredictionCheck {
  const predictedMs = prediction.total.estimate;
  const relativeError = measured.estimate === 0 ? null : (predictedMs - measured.estimate) / Math.abs(measured.estimate);
  return {
    backend: prediction.backend,
    predictedMs,
    measured,
    relativeError,
    withinTolerance: relativeError !== null && Math.abs(relativeError) <= TOLERANCE,
    insideMeasuredInterval: measured.low <= predictedMs && predictedMs <= measured.high,
  };
}
