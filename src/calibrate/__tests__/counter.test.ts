import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { counterCaveat, profileCommand } from '../profile';
import { MOUNT_TRACEFS, tracepointsReadable } from '../tracepoints';
import { CALIB_FILE, makeCalibWorkdir, removeCalibWorkdir } from '../calibWorkdir';
import { describeWhen } from '../../../test/support/e2e';

describe("what predict's counter leaves out", () => {
  test('nothing with the tracepoints', () => {
    expect(counterCaveat('tracepoints')).toBeNull();
  });

  test("with strace: the clock reads and the other threads' calls, and the command that gives the tracepoints", () => {
    const caveat = counterCaveat('strace') ?? '';
    expect(caveat).toMatch(/clock reads and the calls on other threads count 0/);
    expect(caveat).toContain(MOUNT_TRACEFS);
  });
});

// A fresh VM of this kind has the kernel's tracepoints but no tracefs mounted: predict then counts
// with strace, blind to clock reads and threads (the warning above), and every tracepoint test
// would skip. .ci/e2e-deps.sh mounts it; under SANDBOX_PERF_E2E=required its absence fails here.
const missing = !fs.existsSync(CALIB_FILE)
  ? `${CALIB_FILE} is not built`
  : !tracepointsReadable(CALIB_FILE) && 'no syscall tracepoints in tracefs (/sys/kernel/tracing)';

describeWhen("predict's counter: the kernel's syscall tracepoints", missing, `${MOUNT_TRACEFS} (as root; .ci/e2e-deps.sh does it)`, () => {
  let dir = '';
  beforeAll(() => {
    dir = makeCalibWorkdir();
  });
  afterAll(() => {
    removeCalibWorkdir(dir);
  });

  test('a profile left to choose counts with them, and sees which thread made each call', async () => {
    const profile = await profileCommand(['./sandbox-perf-calib', 'thread', '2000'], dir);
    expect(profile.counter).toBe('tracepoints');
    expect(profile.exitCode).toBe(0);
    expect(profile.onThreads.thread).toBeGreaterThanOrEqual(2000);
    expect(profile.onThreads.thread).toBeLessThan(2000 + 200);
  });
});

describe("predict's counter: a run that leaves no counts", () => {
  let dir = '';
  beforeAll(() => {
    if (fs.existsSync(CALIB_FILE)) dir = makeCalibWorkdir();
  });
  afterAll(() => {
    if (dir !== '') removeCalibWorkdir(dir);
  });

  // Hostile trial 2026-12-07, finding 6: the command's last stderr line reached the terminal raw
  // (a window title, colours, a carriage return over the line) and the end read "exit null".
  test("is refused with the command's stderr escaped and its end said in words", async () => {
    if (dir === '') throw new Error(`${CALIB_FILE} is not built: node native/build.js`);
    const hostile = String.raw`printf '\033]0;pwned\007\033[31mbubblewrap: +0.00 ms\rX\n' >&2; kill -9 $PPID`;
    await expect(profileCommand(['sh', '-c', hostile], dir)).rejects.toThrow(
      /left no counts \(killed by SIGKILL; its stderr ends with: \\x1b\]0;pwned\\x07\\x1b\[31mbubblewrap: \+0\.00 ms\\x0dX\)$/,
    );
  });
});

describe("predict's counter: the groups the command joins (-g)", () => {
  test('a group it cannot join: said on stderr, exit 125, the program never runs', () => {
    if (!fs.existsSync(CALIB_FILE)) throw new Error(`${CALIB_FILE} is not built: node native/build.js`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-counter-'));
    try {
      const missingGroup = path.join(dir, 'no-such-group');
      const ran = path.join(dir, 'ran');
      const r = spawnSync(CALIB_FILE, ['count', path.join(dir, 'counts'), '-g', missingGroup, 'touch', ran], { encoding: 'utf8' });
      expect(r.status).toBe(125);
      expect(r.stderr).toBe(`sandbox-perf-calib: -g ${missingGroup}: No such file or directory\n`);
      expect(fs.existsSync(ran)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
