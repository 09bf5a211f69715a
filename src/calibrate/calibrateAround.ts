/*
 * `predict --check --recalibrate`: the calibration's workloads run right before and right after
 * the measured rounds, on the same backends, and their pooled fit predicts the command again, so
 * that the prediction and the measurement it is checked against come from the same minutes.
 *
 * Why: on this shared 2-core machine gVisor's cost per operation follows the load within minutes
 * (getppid() +44 µs at load 1.7, +60 µs at 4.6, +85 µs at 8; a fork+exec +6, +14 ms), and so does
 * the measured cost of a build. A stored calibration taken at another load puts that drift into
 * the error: the C build of docs/large-projects.md was predicted −34.5 % from a calibration at
 * load 1.7 and checked while the load rose to 4.6, while with the workloads run in the same gVisor
 * sandbox as the build, round by round, the same counts gave +9 % over four rounds (load 4.5-5).
 * The stored calibration's prediction is still printed: it is what a user without --check gets.
 */
import type { BackendName, SandboxOptions } from '../runners/types';
import { runCalibration } from './runCalibration';
import type { CalibrationSample } from './fitCalibration';

/** Calibration rounds on each side of the check: 6 pooled give each class's line 12 points. */
export const AROUND_ROUNDS = 3;

export interface CalibratedAround<T> {
  /** What `measure` returned. */
  result: T;
  /** The samples of the rounds before and after, pooled. */
  samples: CalibrationSample[];
  /** The two calibrations' wall time. */
  elapsedMs: number;
  rounds: number;
}

export interface AroundOptions {
  /** The baseline first: it is calibrated with the others. */
  backends: readonly BackendName[];
  /** The stored calibration's scale, so that the classes' lines are comparable. */
  scale: number;
  sandbox?: Omit<SandboxOptions, 'cwd'>;
  /** @default AROUND_ROUNDS */
  rounds?: number;
}

/** Calibrates, runs `measure`, calibrates again; a failure of any of them stops the rest. */
export async function calibrateAround<T>(options: AroundOptions, measure: () => Promise<T>): Promise<CalibratedAround<T>> {
  const rounds = options.rounds ?? AROUND_ROUNDS;
  const calibration = {
    backends: options.backends,
    rounds,
    scale: options.scale,
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
  };
  const before = await runCalibration(calibration);
  const result = await measure();
  const after = await runCalibration(calibration);
  return {
    result,
    samples: [...before.samples, ...after.samples],
    elapsedMs: before.elapsedMs + after.elapsedMs,
    rounds: 2 * rounds,
  };
}
