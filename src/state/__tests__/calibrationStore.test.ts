import fs from 'node:fs';
import path from 'node:path';
import type { Calibration } from '../../calibrate/calibration';
import type { BackendCalibration } from '../../calibrate/fitCalibration';
import type { MachineFingerprint } from '../../machine/fingerprint';
import { tempDir } from '../../../test/support/tempDir';
import { latestCalibration, saveCalibration } from '../calibrationStore';

const interval = { estimate: 1, low: 0.5, high: 1.5, level: 0.95, method: 'fixture' };

/** A calibration of `backends` (none the baseline), with no fingerprint: what the store keeps of it is all that matters here. */
function calibrationOf(backends: readonly string[], fingerprint: MachineFingerprint | null = null): Calibration {
  const fitOf = (backend: string): BackendCalibration => ({
    backend,
    runs: 1,
    startMs: interval,
    deltaStartMs: backend === 'none' ? null : interval,
    fixedMs: interval,
    rSquared: 1,
    costs: [],
    poorFit: [],
  });
  return {
    createdAt: new Date(0).toISOString(),
    elapsedMs: 1,
    rounds: 1,
    scale: 1,
    fingerprint,
    fit: { baseline: 'none', backends: ['none', ...backends].map(fitOf) },
  };
}

describe('latestCalibration', () => {
  const dir = tempDir('calibration-store');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'history.db');
  const full = saveCalibration(file, calibrationOf(['bubblewrap', 'gvisor']));
  // What predict --check --recalibrate --sandbox gvisor stores: the checked backends only.
  const around = saveCalibration(file, calibrationOf(['gvisor']));

  test('the newest that covers the backends asked for: a later partial one does not hide it', () => {
    // Before: calibration `around`, and predict --sandbox bubblewrap failed ("has no bubblewrap").
    expect(latestCalibration(file, null, ['bubblewrap'])?.id).toBe(full);
    expect(latestCalibration(file, null, ['bubblewrap', 'gvisor'])?.id).toBe(full);
  });

  test('the newest when it covers them, or when none does (the caller names what lacks)', () => {
    expect(latestCalibration(file, null, ['gvisor'])?.id).toBe(around);
    expect(latestCalibration(file, null)?.id).toBe(around);
    expect(latestCalibration(file, null, ['docker'])?.id).toBe(around);
  });
});

describe('latestCalibration across machine states', () => {
  const machine = (kernel: string): MachineFingerprint => ({
    kernel,
    cpuModel: 'cpu',
    cores: 2,
    governor: null,
    turbo: null,
    smt: null,
    transparentHugePages: 'madvise',
    loadAverage: [0, 0, 0],
    cgroupVersion: 1,
    docker: null,
    gvisor: null,
    node: 'v20',
    sandboxPerf: '0',
  });
  const dir = tempDir('calibration-states');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'history.db');
  const here = machine('6.1');
  const thisState = saveCalibration(file, calibrationOf(['gvisor', 'docker'], here));
  const otherNewer = saveCalibration(file, calibrationOf(['gvisor', 'docker'], machine('6.2')));
  const otherPartial = saveCalibration(file, calibrationOf(['gvisor'], machine('6.2')));

  test("this machine state's covering calibration before a newer one of another state, with no differences", () => {
    expect(latestCalibration(file, here, ['docker'])).toMatchObject({ id: thisState, machineDifferences: [] });
  });

  test("another state's when this one has none that covers: the newest covering, its differences named", () => {
    const found = latestCalibration(file, machine('6.3'), ['docker']);
    expect(found?.id).toBe(otherNewer);
    expect(found?.machineDifferences).toEqual(['kernel: "6.2" → "6.3"']);
    expect(latestCalibration(file, machine('6.3'), ['gvisor'])?.id).toBe(otherPartial);
  });

  test("nothing covers: this state's newest, else the newest at all", () => {
    expect(latestCalibration(file, here, ['bubblewrap'])?.id).toBe(thisState);
    expect(latestCalibration(file, machine('6.3'), ['bubblewrap'])?.id).toBe(otherPartial);
  });
});
