import fs from 'node:fs';
import { countsFrom, parseCountLine, parseStraceSummary, profileCommand } from '../profile';
import { CALIB_FILE, makeCalibWorkdir, removeCalibWorkdir } from '../calibWorkdir';
import { describeWhen } from '../../../test/support/e2e';
import { toolMissing } from '../../../test/support/runners';

const SUMMARY = `    calls    errors syscall
--------- --------- ----------------
        2         1 wait4
       41        19 openat
       24           close
       33         8 newfstatat
        3         3 access
        4           execve
        1           unlinkat
        7           read
--------- --------- ----------------
      115        31 total
`;

describe('counting a command', () => {
  test("strace's summary, by name", () => {
    expect(parseStraceSummary(SUMMARY)).toEqual({
      wait4: { calls: 2, errors: 1 },
      openat: { calls: 41, errors: 19 },
      close: { calls: 24, errors: 0 },
      newfstatat: { calls: 33, errors: 8 },
      access: { calls: 3, errors: 3 },
      execve: { calls: 4, errors: 0 },
      unlinkat: { calls: 1, errors: 0 },
      read: { calls: 7, errors: 0 },
    });
  });

  test('maps calls to the calibrated classes, every call in exactly one', () => {
    const counts = countsFrom(parseStraceSummary(SUMMARY), '1500 2 250000 1000 3145728 1048576\n');
    expect(counts).toEqual({ cpu: 250, syscall: 9, stat: 36, open: 41, create: 1, read: 3, write: 1, spawn: 2, fault: 1502 });
  });

  test('refuses a counter line that is not six numbers', () => {
    expect(() => parseCountLine('1 2 3')).toThrow(/expected six numbers/);
  });
});

describeWhen(
  'a real profiling run counts what the workloads do',
  toolMissing('strace') || (!fs.existsSync(CALIB_FILE) && `${CALIB_FILE} is not built`),
  'apt-get install strace; node native/build.js',
  () => {
    let dir = '';
    beforeAll(() => {
      dir = makeCalibWorkdir();
    });
    afterAll(() => {
      removeCalibWorkdir(dir);
    });
    test.each([
      ['stat', 700, 'stat'],
      ['open', 700, 'open'],
      ['create', 300, 'create'],
      ['spawn', 25, 'spawn'],
      ['fault', 4000, 'fault'],
      ['read', 30, 'read'],
      ['write', 20, 'write'],
      ['syscall', 5000, 'syscall'],
    ] as const)('%s %d', async (workload, n, counted) => {
      const profile = await profileCommand(['./sandbox-perf-calib', workload, String(n)], dir);
      expect(profile.exitCode).toBe(0);
      // The program's own start adds a few operations of most classes (its exec's page faults, a
      // few opens of the C library's files): never fewer than it was asked to do, never many more.
      const ops = profile.counts[counted];
      expect(ops).toBeGreaterThanOrEqual(n);
      expect(ops).toBeLessThan(n * 1.1 + 200);
    });
  },
);
