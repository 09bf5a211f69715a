import { mulberry32 } from '../../stats/prng';
import { CLASSES } from '../classes';
import { afterCommand, CalibrationRunError, LEAVE_FILES, parsePhases, roundJobs, RUNS_PER_ROUND } from '../runCalibration';

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
  test("the clock's phases open every batch run (gVisor's first second), in order, the other classes shuffled after them", () => {
    const random = mulberry32(11);
    const orders = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const batch = roundJobs(1, random).find((j) => j.name === 'batch');
      const phases = batch?.name === 'batch' ? batch.phases : [];
      expect(phases.slice(0, 2)).toEqual([
        { name: 'clock', n: 1_000 },
        { name: 'clock', n: 3_000 },
      ]);
      expect(phases).toHaveLength(CLASSES.length * 2);
      orders.add(phases.map((p) => p.name).join(' '));
    }
    expect(orders.size).toBeGreaterThan(1);
  });
});

describe("the clock's warm-up line", () => {
  test('a first line `warmup clock N MS` is no phase of the fit; anywhere else it is an error', () => {
    const phases = [{ name: 'clock' as const, n: 10 }];
    expect(parsePhases('warmup clock 1000 61.5\nclock 10 0.7\n', phases)).toEqual([0.7]);
    expect(() => parsePhases('clock 10 0.7\nwarmup clock 1000 61.5\n', phases)).toThrow(CalibrationRunError);
  });
});

describe('the runs that leave files', () => {
  test('one a round beside the two starts and the batch, shuffled with them, of LEAVE_FILES times the scale', () => {
    const random = mulberry32(3);
    const firsts = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const jobs = roundJobs(1, random);
      expect(jobs).toHaveLength(RUNS_PER_ROUND);
      expect(jobs.filter((j) => j.name === 'leave')).toEqual([{ name: 'leave', n: LEAVE_FILES }]);
      expect(jobs.filter((j) => j.name === 'start')).toHaveLength(2);
      firsts.add(jobs[0]?.name ?? '');
    }
    expect(firsts.has('leave')).toBe(true);
    expect(roundJobs(0.05, random).find((j) => j.name === 'leave')).toEqual({ name: 'leave', n: Math.round(LEAVE_FILES * 0.05) });
    expect(roundJobs(0.0001, random).find((j) => j.name === 'leave')).toEqual({ name: 'leave', n: 1 });
  });

  test("the time after the command: the phases after `command`, none where it ends the run's phases or has none", () => {
    expect(afterCommand({ create: 30, attach: 2, spawn: 1, command: 900, exit: 67.5, client: 4 })).toBeCloseTo(71.5, 9);
    expect(afterCommand({ spawn: 3, command: 10, exit: 1 })).toBe(1);
    expect(afterCommand({ sandbox: 190, command: 10 })).toBeNull();
    expect(afterCommand({})).toBeNull();
  });
});
