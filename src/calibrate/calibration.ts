import type { MachineFingerprint } from '../machine/fingerprint';
import type { CalibrationFit } from './fitCalibration';

/** One `calibrate`: its fit and how it was made, as the history keeps it (sandbox_calibrations.json). */
export interface Calibration {
  /** ISO 8601 time it finished. */
  createdAt: string;
  /** Wall time of the whole calibration, prepare and teardown included. */
  elapsedMs: number;
  /** Times each (class, size) ran on each backend. */
  rounds: number;
  /** The factor every workload size was multiplied by (1 but in tests). */
  scale: number;
  fingerprint: MachineFingerprint | null;
  fit: CalibrationFit;
}
