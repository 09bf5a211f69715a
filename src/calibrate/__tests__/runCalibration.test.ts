import { mulberry32 } from '../../stats/prng';
import { CLASSES } from '../classes';
import { CalibrationRunError, parsePhases, roundJobs } from '../runCalibration';

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

describe("a round's runs", () => {
  test("the clock's phases open every batch run (gVisor's first second), the other classes shuffled after them", () => {
    const random = mulberry32(11);
    const orders = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const batch = roundJobs(1, random).find((j) => j.name === 'batch');
      const phases = batch?.name === 'batch' ? batch.phases : [];
      expect(phases.slice(0, 2)).toEqual([
        { name: 'clock', n: 200 },
        { name: 'clock', n: 800 },
      ]);
      expect(phases).toHaveLength(CLASSES.length * 2);
      orders.add(phases.map((p) => p.name).join(' '));
    }
    expect(orders.size).toBeGreaterThan(1);
  });
});
