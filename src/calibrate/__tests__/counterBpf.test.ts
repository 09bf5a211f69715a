import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MOUNT_TRACEFS, syscallNumbers, syscallTracepoints, tracepointsReadable } from '../tracepoints';
import { CALIB_FILE, CALIB_PROGRAM, makeCalibWorkdir, removeCalibWorkdir } from '../calibWorkdir';
import { describeWhen } from '../../../test/support/e2e';

/**
 * As root the counter counts the system calls with BPF programs (native/syscallCounter.h), which
 * look at each call once, instead of a perf event per counted call and scope (36 events in 3
 * scopes, each looked at on every call: npm ci's profiling run 1 638 against 1 221 ms with one).
 * What it counts must be what the perf events count: every process and thread the command starts,
 * from its exec on, the calls on the command's other threads apart, the successful execs and
 * mkdirs by their exits.
 */
const missing =
  (!fs.existsSync(CALIB_FILE) && `${CALIB_FILE} is not built`) ||
  (!tracepointsReadable(CALIB_FILE) && "the kernel's syscall tracepoints cannot be opened") ||
  (process.getuid?.() !== 0 && 'BPF programs need root');

interface Counted {
  by: string;
  calls: number[];
  onThreads: number[];
}

describeWhen('the counter by BPF', missing, `node native/build.js; as root, ${MOUNT_TRACEFS}`, () => {
  let dir = '';
  beforeAll(() => {
    dir = makeCalibWorkdir();
  });
  afterAll(() => {
    removeCalibWorkdir(dir);
  });

  function count(script: string, perfOnly: boolean): Counted {
    const points = syscallTracepoints(syscallNumbers(CALIB_FILE)) ?? [];
    const file = path.join(dir, `counts-${perfOnly ? 'perf' : 'bpf'}`);
    const args = ['count', file, '-t', ...(perfOnly ? ['-P'] : []), ...points.flatMap((p) => ['-e', p.spec]), 'sh', '-c', script];
    const r = spawnSync(CALIB_FILE, args, { cwd: dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', SANDBOX_PERF_COUNT_VERBOSE: '1' } });
    expect(r.status).toBe(0);
    const [, calls = '', onThreads = ''] = fs.readFileSync(file, 'utf8').split('\n');
    const numbers = (line: string) => line.split(' ').map(Number);
    return { by: /counted by (.*)/.exec(r.stderr)?.[1] ?? r.stderr, calls: numbers(calls), onThreads: numbers(onThreads) };
  }

  test('counts what the perf events count: processes it starts, threads, successful execs and mkdirs', () => {
    // A process per program, 4 threads' getppid()s, 100 stats, mkdirs that succeed and fail.
    const script = `${CALIB_PROGRAM} thread 400 && ${CALIB_PROGRAM} stat 100 && mkdir -p a/b && mkdir a 2>/dev/null; rm -r a`;
    const bpf = count(script, false);
    const perf = count(script, true);
    expect(bpf.by).toBe('BPF');
    expect(perf.by).toBe('perf events');
    expect(bpf.calls).toHaveLength(perf.calls.length);
    // Deterministic programs: the same calls, but for a few of the C library's own (a futex, a stray clock read).
    bpf.calls.forEach((n, i) => expect(Math.abs(n - (perf.calls[i] as number))).toBeLessThanOrEqual(Math.max(3, 0.01 * n)));
    // The calls on the shell's other threads: none (the 4 threads are the workload's, another process).
    expect(bpf.onThreads).toEqual(perf.onThreads);
    expect(bpf.calls[0]).toBeGreaterThan(400 + 100);
  });

  test("while it counts, another counter's perf events on the same tracepoints count as they do alone", async () => {
    const script = `${CALIB_PROGRAM} stat 300`;
    const alone = count(script, true);
    // A BPF counter over a command that runs through the other's run (its programs see every call of the machine).
    const points = syscallTracepoints(syscallNumbers(CALIB_FILE)) ?? [];
    const other = spawn(CALIB_FILE, ['count', path.join(dir, 'counts-other'), ...points.flatMap((p) => ['-e', p.spec]), 'sleep', '2'], {
      cwd: dir,
      stdio: 'ignore',
    });
    const ended = new Promise((resolve) => other.once('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const beside = count(script, true);
    await ended;
    expect(beside.calls).toEqual(alone.calls);
  });

  test("the command's own threads' calls apart, as the perf events' thread scopes", () => {
    const script = `exec ${CALIB_PROGRAM} thread 2000`;
    const bpf = count(script, false);
    const perf = count(script, true);
    expect(bpf.by).toBe('BPF');
    // (all) on other threads: the workload's 2 000 getppid()s and the threads' own start and end.
    expect(bpf.onThreads[0]).toBeGreaterThanOrEqual(2000);
    expect(Math.abs((bpf.onThreads[0] as number) - (perf.onThreads[0] as number))).toBeLessThanOrEqual(5);
  });
});
