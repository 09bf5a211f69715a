import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countsFrom, parseCountLine, parseStraceSummary, profileCommand, threadCountsFrom, type Counter } from '../profile';
import type { ClassName } from '../classes';
import { libcCallName } from '../libcProbe';
import {
  ALL_CALLS,
  callsFromEvents,
  succeeded,
  syscallNumbers,
  syscallTracepoints,
  tracepointsReadable,
  type Tracepoint,
} from '../tracepoints';
import { CALIB_FILE, makeCalibWorkdir, removeCalibWorkdir } from '../calibWorkdir';
import { parsePhases } from '../runCalibration';
import { describeWhen } from '../../../test/support/e2e';
import { processesMatching, toolMissing, uniqueSleep } from '../../../test/support/runners';

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
    expect(counts).toEqual({
      cpu: 250,
      syscall: 9,
      thread: 0,
      clock: 0,
      stat: 36,
      open: 41,
      create: 1,
      read: 3,
      write: 1,
      spawn: 2,
      fault: 1502,
      map: 0,
      protect: 0,
    });
  });

  test('a mkdir that fails (the directory exists) is a lookup, counted in stat; one that succeeds a creation', () => {
    const calls = {
      mkdir: { calls: 1900, errors: 1837 },
      mkdirat: { calls: 4, errors: 1 },
      statx: { calls: 10, errors: 2 },
      unlink: { calls: 5, errors: 2 },
    };
    // unlink's failures are no lookup rule's: counted as calls, as before.
    expect(countsFrom(calls, '0 0 0 0 0 0\n')).toMatchObject({ create: 63 + 3 + 5, stat: 1837 + 1 + 10 });
  });

  // Five counter events: every call, two named calls, an exec's entries and its successful exits.
  const points: Tracepoint[] = [
    { name: ALL_CALLS, spec: '1' },
    { name: 'openat', spec: '2' },
    { name: 'close', spec: '3' },
    { name: 'execve', spec: '4' },
    { name: succeeded('execve'), spec: '5:ret == 0' },
  ];

  test("the tracepoints' counts in strace's shape: the rest of the calls as (other), failed execs as errors", () => {
    // 100 calls: 41 openat, 24 close, 4 exec entries (the command's own exec is seen at its exit only: 3 succeeded + it).
    const calls = callsFromEvents(points, '100 41 24 4 4\n');
    expect(calls).toEqual({
      openat: { calls: 41, errors: 0 },
      close: { calls: 24, errors: 0 },
      execve: { calls: 5, errors: 1 },
      '(other)': { calls: 31, errors: 0 },
    });
    const counts = countsFrom(calls, '10 0 1000 0 0 0\n', 'tracepoints');
    // The command's first exec is not one of its process starts: 4 successes less it.
    expect(counts).toMatchObject({ syscall: 31, open: 41, spawn: 3 });
    expect(() => callsFromEvents(points, '100 41 24\n')).toThrow(/expected 5 counts/);
  });

  test("the calls on the command's other threads, by class, and their sum", () => {
    // 50 calls on other threads: 10 openat, 10 close, no exec (none of it is the command's own).
    expect(threadCountsFrom(points, '50 10 10 0 0')).toMatchObject({ syscall: 30, open: 10, spawn: 0, thread: 50, cpu: 0 });
    // A counter that could not count them wrote no third line: none.
    expect(threadCountsFrom(points, undefined).thread).toBe(0);
    // Clock reads on other threads are no system calls: not in their sum.
    const probed = [...points, { name: libcCallName('clock_gettime'), spec: 'uprobe:0x1000:/lib/libc.so.6' }];
    expect(threadCountsFrom(probed, '50 10 10 0 0 700')).toMatchObject({ syscall: 30, open: 10, clock: 700, thread: 50 });
  });

  test("a C library function's calls (a uprobe's) are counted in their class, not among the system calls", () => {
    const points: Tracepoint[] = [
      { name: ALL_CALLS, spec: '1' },
      { name: 'openat', spec: '2' },
      { name: libcCallName('clock_gettime'), spec: 'uprobe:0x1000:/lib/libc.so.6' },
    ];
    const calls = callsFromEvents(points, '100 41 5000\n');
    expect(calls).toEqual({
      openat: { calls: 41, errors: 0 },
      'libc clock_gettime': { calls: 5000, errors: 0 },
      '(other)': { calls: 59, errors: 0 },
    });
    expect(countsFrom(calls, '10 0 1000 0 0 0\n', 'tracepoints')).toMatchObject({ syscall: 59, open: 41, clock: 5000 });
  });

  test('the C library probes only where uprobe_events may be written: else the tracepoints without them', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-tracefs-'));
    for (const [event, id] of [
      ['sys_enter', '11'],
      ['sys_exit', '12'],
    ] as const) {
      fs.mkdirSync(path.join(root, 'events', 'raw_syscalls', event), { recursive: true });
      fs.writeFileSync(path.join(root, 'events', 'raw_syscalls', event, 'id'), id);
    }
    const probe = { name: libcCallName('clock_gettime'), spec: 'uprobe:0x1000:/lib/libc.so.6' };
    const names = () => syscallTracepoints(new Map([['openat', 257]]), [root], () => [probe])?.map((p) => p.name);
    expect(names()).toEqual([ALL_CALLS, 'openat']);
    fs.writeFileSync(path.join(root, 'uprobe_events'), '', { mode: 0o644 });
    // root may write any file: a mode without write permission is what it cannot write only for others.
    if (process.getuid?.() !== 0) {
      fs.chmodSync(path.join(root, 'uprobe_events'), 0o444);
      expect(names()).toEqual([ALL_CALLS, 'openat']);
      fs.chmodSync(path.join(root, 'uprobe_events'), 0o644);
    }
    expect(names()).toEqual([ALL_CALLS, 'openat', 'libc clock_gettime']);
    fs.rmSync(root, { recursive: true });
  });

  test('no tracefs: null, so that the profile counts with strace', () => {
    expect(syscallTracepoints(new Map([['openat', 257]]), [path.join(os.tmpdir(), 'sandbox-perf-no-tracefs')])).toBeNull();
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
    const tracepoints = tracepointsReadable(CALIB_FILE);
    const counters: Counter[] = ['strace', ...(tracepoints ? (['tracepoints'] as const) : [])];
    test.each(
      counters.flatMap((counter) =>
        [
          ['stat', 700, 'stat'],
          ['open', 700, 'open'],
          ['create', 300, 'create'],
          ['spawn', 25, 'spawn'],
          ['fault', 4000, 'fault'],
          ['map', 300, 'map'],
          ['protect', 300, 'protect'],
          ['read', 30, 'read'],
          ['write', 20, 'write'],
          ['syscall', 5000, 'syscall'],
          ['thread', 5000, 'syscall'],
        ].map(([w, n, c]) => [w as string, n as number, c as ClassName, counter] as const),
      ),
    )('%s %d (%s, counted by %s)', async (workload, n, counted, counter) => {
      const profile = await profileCommand(['./sandbox-perf-calib', workload, String(n)], dir, { counter });
      expect(profile.counter).toBe(counter);
      expect(profile.exitCode).toBe(0);
      // The program's own start adds a few operations of most classes (its exec's page faults, a
      // few opens of the C library's files): never fewer than it was asked to do, never many more.
      const ops = profile.counts[counted];
      expect(ops).toBeGreaterThanOrEqual(n);
      expect(ops).toBeLessThan(n * 1.1 + 200);
    });

    (counters.includes('tracepoints') ? test : test.skip)(
      "calls on other threads: the `thread` workload's, by the tracepoints (strace does not tell them apart)",
      async () => {
        const [threaded, serial] = [
          await profileCommand(['./sandbox-perf-calib', 'thread', '4000'], dir),
          await profileCommand(['./sandbox-perf-calib', 'syscall', '4000'], dir),
        ];
        expect(threaded.onThreads.thread).toBeGreaterThanOrEqual(4000);
        expect(threaded.onThreads.thread).toBeLessThan(4000 + 200);
        expect(threaded.counts.thread).toBe(threaded.onThreads.thread);
        expect(threaded.onThreads.syscall).toBeGreaterThanOrEqual(4000);
        expect(serial.onThreads.thread).toBe(0);
        expect((await profileCommand(['./sandbox-perf-calib', 'thread', '400'], dir, { counter: 'strace' })).onThreads.thread).toBe(0);
      },
    );

    const probed = syscallTracepoints(syscallNumbers(CALIB_FILE))?.some((p) => p.spec.startsWith('uprobe:')) ?? false;
    (probed ? test : test.skip)(
      "the tracepoints count the clock reads the host's vDSO answers: node's, in every thread and process",
      async () => {
        // node reads the clock through the C library's clock_gettime (process.hrtime), in a child too.
        const reads = (n: number) => [
          process.execPath,
          '-e',
          `for (let i = 0; i < ${n}; i++) process.hrtime(); require('child_process').execFileSync(process.execPath, ['-e', 'for (let i = 0; i < ${n}; i++) process.hrtime()'])`,
        ];
        const [few, many] = [await profileCommand(reads(0), dir), await profileCommand(reads(20_000), dir)];
        expect([few.exitCode, many.exitCode]).toEqual([0, 0]);
        expect(many.counts.clock - few.counts.clock).toBeGreaterThanOrEqual(40_000);
        expect(many.counts.clock - few.counts.clock).toBeLessThan(40_000 * 1.05 + 500);
        // Not system calls: the other calls do not grow with them.
        expect(many.counts.syscall - few.counts.syscall).toBeLessThan(2_000);
      },
    );

    test("a calibration batch that opens with the clock's phases reads the clock 1 000 times first, untimed; one that does not, not", () => {
      const batch = (...args: string[]) => execFileSync(CALIB_FILE, ['batch', ...args], { cwd: dir, encoding: 'utf8' });
      const clockPhases = (first: 'clock' | 'syscall') => [{ name: first, n: 10 } as const, { name: 'clock', n: 30 } as const];
      const opens = batch('clock', '10', 'clock', '30');
      expect(opens.split('\n')[0]).toMatch(/^warmup clock 1000 \d+\.\d+$/);
      expect(parsePhases(opens, clockPhases('clock'))).toHaveLength(2);
      const later = batch('syscall', '10', 'clock', '30');
      expect(later).not.toMatch(/warmup/);
      expect(parsePhases(later, clockPhases('syscall'))).toHaveLength(2);
    });

    test.each(counters)('a mkdir of a directory that exists is counted as a lookup, not a creation (%s)', async (counter) => {
      const made = path.join(dir, 'mkdirs');
      fs.rmSync(made, { recursive: true, force: true });
      // 3 directories made, then 2 of them again (EEXIST), and a third mkdir of a directory that exists.
      const command = ['sh', '-c', `mkdir ${made} && cd ${made} && mkdir a b c && { mkdir a b 2>/dev/null; mkdir c 2>/dev/null; true; }`];
      try {
        const [once, twice] = [
          await profileCommand(['sh', '-c', `mkdir ${made}-x && rmdir ${made}-x`], dir, { counter }),
          await profileCommand(command, dir, { counter }),
        ];
        expect([once.exitCode, twice.exitCode]).toEqual([0, 0]);
        // Four directories made (its own, a, b, c), none of the three failed ones.
        expect(twice.counts.create).toBe(4);
        expect(once.counts.create).toBe(2);
      } finally {
        fs.rmSync(made, { recursive: true, force: true });
      }
    });

    test('both counters count the same calls of a command that starts processes, and its exit code', async () => {
      // A shell that starts 5 programs, two of them failing execs on PATH, and exits 3.
      const command = [
        'sh',
        '-c',
        'for i in 1 2 3; do ./sandbox-perf-calib stat 50; done; nosuch-a 2>/dev/null; nosuch-b 2>/dev/null; exit 3',
      ];
      const [traced, counted] = [await profileCommand(command, dir, { counter: 'strace' }), await profileCommand(command, dir)];
      expect([traced.exitCode, counted.exitCode]).toEqual([3, 3]);
      expect(counted.counter).toBe(tracepointsReadable(CALIB_FILE) ? 'tracepoints' : 'strace');
      expect(counted.counts.spawn).toBe(3);
      expect(traced.counts.spawn).toBe(3);
      // strace also sees the wrapper's own start (a few dozen calls, 4 stats, 3 opens).
      for (const c of ['stat', 'open', 'syscall'] as const) {
        expect(Math.abs(traced.counts[c] - counted.counts[c])).toBeLessThanOrEqual(40);
      }
      expect(counted.counts.stat).toBeGreaterThanOrEqual(150);
    });
    test.each(counters)(
      'a command that never ends, its child holding stderr open, is killed with its whole group at the timeout (%s)',
      async (counter) => {
        const marker = uniqueSleep();
        const started = performance.now();
        await expect(profileCommand(['sh', '-c', `sleep ${marker} & sleep ${marker}`], dir, { counter, timeoutMs: 1500 })).rejects.toThrow(
          /^predict: the profiling run took over 1500 ms \(--timeout 1500\): killed it and every process in its group$/,
        );
        expect(performance.now() - started).toBeLessThan(30_000);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(processesMatching(marker)).toEqual([]);
      },
      60_000,
    );
  },
);
