import type { Calibration } from '../../src/calibrate/calibration';
import type { BackendCalibration } from '../../src/calibrate/fitCalibration';
import type { MachineFingerprint } from '../../src/machine/fingerprint';

/** The interval every fixture figure has: its value never matters to the tests that use it. */
export const FIXTURE_INTERVAL = { estimate: 1, low: 0.5, high: 1.5, level: 0.95, method: 'fixture' };

/**
 * A calibration of `backends` with `none` the baseline, no class costs and the same figure
 * everywhere: for tests of what is stored and read back (the store, predict reaching its hooks),
 * not of any prediction.
 */
export function calibrationOf(
  backends: readonly string[],
  options: { fingerprint?: MachineFingerprint | null; createdAt?: string } = {},
): Calibration {
  const fitOf = (backend: string): BackendCalibration => ({
    backend,
    runs: 1,
    startMs: FIXTURE_INTERVAL,
    deltaStartMs: backend === 'none' ? null : FIXTURE_INTERVAL,
    fixedMs: FIXTURE_INTERVAL,
    rSquared: 1,
    costs: [],
    poorFit: [],
  });
  return {
    createdAt: options.createdAt ?? new Date(0).toISOString(),
    elapsedMs: 1,
    rounds: 1,
    scale: 1,
    fingerprint: options.fingerprint ?? null,
    fit: { baseline: 'none', backends: ['none', ...backends].map(fitOf) },
  };
}
