import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { MachineFingerprint } from '../../machine/fingerprint';
import { tempDir } from '../../../test/support/tempDir';
import { calibrationOf, FIXTURE_INTERVAL } from '../../../test/support/calibrationFixture';
import { latestCalibration, saveCalibration } from '../calibrationStore';

const interval = FIXTURE_INTERVAL;

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
  const thisState = saveCalibration(file, calibrationOf(['gvisor', 'docker'], { fingerprint: here }));
  const otherNewer = saveCalibration(file, calibrationOf(['gvisor', 'docker'], { fingerprint: machine('6.2') }));
  const otherPartial = saveCalibration(file, calibrationOf(['gvisor'], { fingerprint: machine('6.2') }));

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

describe('a calibration row altered in the history', () => {
  const dir = tempDir('calibration-tampered');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cost = { class: 'fault' as const, msPerOp: interval, deltaMsPerOp: interval, rSquared: 1, poor: null };
  const good = calibrationOf(['bubblewrap']);
  good.fit.backends = good.fit.backends.map((b) => ({ ...b, costs: [{ ...cost, deltaMsPerOp: b.backend === 'none' ? null : interval }] }));

  /** The history holding `good` with its JSON then rewritten by `sql` (SQLite's json functions). */
  function tampered(name: string, sql: string): string {
    const file = path.join(dir, `${name}.db`);
    const id = saveCalibration(file, good);
    const db = new Database(file);
    try {
      db.prepare(`UPDATE sandbox_calibrations SET json = ${sql} WHERE id = ?`).run(id);
    } finally {
      db.close();
    }
    return file;
  }

  test('an untouched one reads back as written', () => {
    expect(latestCalibration(tampered('untouched', 'json'), null, ['bubblewrap'])?.calibration).toEqual(good);
  });

  test('a fixed cost per file reads back; one stored before it (the field absent, as `good`) reads too', () => {
    const withPerFile = { ...good, fit: { ...good.fit, backends: good.fit.backends.map((b) => ({ ...b, fixedPerFileMs: interval })) } };
    const file = path.join(dir, 'per-file.db');
    saveCalibration(file, withPerFile);
    expect(latestCalibration(file, null, ['bubblewrap'])?.calibration).toEqual(withPerFile);
  });

  // Before: a TypeError from deep inside predict ("Cannot read properties of undefined"), or a
  // prediction of NaN or +6e298 s printed as a result.
  test.each([
    ['not JSON', `'not json'`, /`calibration 1: json` to be JSON, got `"not json"` \(string\)/],
    ['null', `'null'`, /`calibration 1: json` to be an object, got `null`/],
    ['no fit', `'{}'`, /`calibration 1: scale` to be a finite number/],
    ['no backends', `json_remove(json, '$.fit.backends')`, /`calibration 1: fit.backends` to be an array, got `undefined`/],
    ['no costs', `json_remove(json, '$.fit.backends[1].costs')`, /`calibration 1: fit.backends\[1\].costs` to be an array/],
    [
      'a cost that is no number',
      `json_set(json, '$.fit.backends[1].costs[0].deltaMsPerOp.estimate', 'abc')`,
      /`calibration 1: fit.backends\[1\].costs\[0\].deltaMsPerOp.estimate` to be a finite number of at most 1000000000 in size, got `"abc"` \(string\)/,
    ],
    [
      'a cost of 1e300 ms',
      `json_set(json, '$.fit.backends[1].costs[0].msPerOp.high', 1e300)`,
      /msPerOp.high` to be a finite number .*, got `1e\+300` \(number\)/,
    ],
    [
      'a fixed cost per file that is no number',
      `json_set(json, '$.fit.backends[1].fixedPerFileMs', json('{"estimate":"x","low":0,"high":1}'))`,
      /`calibration 1: fit.backends\[1\].fixedPerFileMs.estimate` to be a finite number/,
    ],
    [
      'an interval upside down',
      `json_set(json, '$.fit.backends[1].fixedMs.low', 2)`,
      /fixedMs` to be an interval with low <= estimate <= high/,
    ],
    [
      'a backend named with a control character',
      `json_set(json, '$.fit.backends[1].backend', 'bwrap' || char(27))`,
      /backend` to be a name of 1 to 64 printable characters/,
    ],
  ])('%s: refused in the one shape, naming the row and the field', (name, sql, message) => {
    const file = tampered(name.replace(/\W+/g, '-'), sql);
    expect(() => latestCalibration(file, null, ['bubblewrap'])).toThrow(message);
    expect(() => latestCalibration(file, null, ['bubblewrap'])).toThrow(/^Expected .*: run it again$/);
  });
});
