import fs from 'node:fs';
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
