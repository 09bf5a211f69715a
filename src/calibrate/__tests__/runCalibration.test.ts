import { CalibrationRunError, parsePhases } from '../runCalibration';

describe("a batch run's phases", () => {
  const phases = [
    { name: 'stat', n: 1000 },
    { name: 'spawn', n: 10 },
  ] as const;

  test('one time per phase asked for, in order', () => {
    expect(parsePhases('stat 1000 1.505250\nspawn 10 10.165492\n', phases)).toEqual([1.50525, 10.165492]);
  });

  test('refuses output that does not answer every phase in order', () => {
    expect(() => parsePhases('spawn 10 10.1\nstat 1000 1.5\n', phases)).toThrow(CalibrationRunError);
    expect(() => parsePhases('stat 1000 1.5\n', phases)).toThrow(/expected 2 lines 'CLASS N MILLISECONDS'/);
    expect(() => parsePhases('stat 1000 1.5\nspawn 10 x\n', phases)).toThrow(/expected 2 lines/);
  });
});
