import fs from 'node:fs';
import path from 'node:path';
import { profileCommand } from '../profile';
import { CALIB_FILE } from '../calibWorkdir';
import { tracepointsReadable } from '../tracepoints';
import { probeFreezer } from '../../runners/host/containmentGroup';
import { CGROUP_PARENT } from '../../runners/host/cgroupV1';
import { sandboxEnv } from '../../runners/environment';
import { describeWhen } from '../../../test/support/e2e';
import { tempDir } from '../../../test/support/tempDir';
import { processesMatching, toolMissing, uniqueSleep } from '../../../test/support/runners';

/**
 * predict's profiling run (on the host, unsandboxed by design) leaves nothing running once it is
 * over: the command's background processes, in its process group or setsid'ed out of it, and the
 * counter itself. Before: `sh -c 'sleep 301 >/dev/null 2>&1 & echo started'` left the sleep running
 * (parent 1), a setsid'ed one too, and a timeout ("killed it and every process in its group")
 * missed the setsid'ed one. `compare --sandbox none` already left nothing: the same containment
 * group (containmentGroup.ts) holds the profiling run now.
 */

/** The processes whose command line holds `marker`, once gone or after 5 s (a SIGKILLed one takes a moment). */
async function survivorsOf(marker: string): Promise<string[]> {
  const deadline = Date.now() + 5000;
  while (processesMatching(marker).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  return processesMatching(marker);
}

const freezer = probeFreezer();

describeWhen(
  "the profiling run's processes end with it",
  (!fs.existsSync(CALIB_FILE) && `${CALIB_FILE} is not built`) ||
    (!tracepointsReadable(CALIB_FILE) && "the kernel's syscall tracepoints cannot be opened (not root, or tracefs not mounted)") ||
    (freezer.root === null && freezer.reason),
  'node native/build.js; run as root with tracefs and the cgroup v1 freezer mounted',
  () => {
    const dir = tempDir('profile-leftovers');
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('a background process, in the command’s process group or setsid’ed, is killed when the command ends; the counting works', async () => {
      const [inGroup, setsid] = [uniqueSleep(), uniqueSleep()];
      const script = `/bin/true; sleep ${inGroup} >/dev/null 2>&1 & setsid sleep ${setsid} >/dev/null 2>&1 & echo started`;
      const profile = await profileCommand(['sh', '-c', script], dir, { counter: 'tracepoints', timeoutMs: 60_000 });
      expect(profile.counter).toBe('tracepoints');
      expect(profile.exitCode).toBe(0);
      // /bin/true's exec, which sh waits for: the command's descendants are still counted.
      expect(profile.counts.spawn).toBeGreaterThanOrEqual(1);
      // The counter's and the shell's command lines hold the marker too: they are gone as well.
      expect(await survivorsOf(`sleep ${inGroup}`)).toEqual([]);
      expect(await survivorsOf(`sleep ${setsid}`)).toEqual([]);
    }, 60_000);

    test('the command runs in the environment every backend gives it, inside its containment group', async () => {
      // The caller's variables (this machine's NODE_EXTRA_CA_CERTS made each Node start 35-45 ms longer) stay out.
      process.env.SANDBOX_PERF_CALLER_ONLY = 'caller';
      try {
        const script = 'env > env.txt; cat /proc/self/cgroup > cgroup.txt';
        const profile = await profileCommand(['sh', '-c', script], dir, { counter: 'tracepoints', timeoutMs: 60_000 });
        expect(profile.exitCode).toBe(0);
      } finally {
        delete process.env.SANDBOX_PERF_CALLER_ONLY;
      }
      const env = new Map(
        fs
          .readFileSync(path.join(dir, 'env.txt'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      for (const [key, value] of Object.entries(sandboxEnv(dir))) expect(env.get(key)).toBe(value);
      expect(env.has('SANDBOX_PERF_CALLER_ONLY')).toBe(false);
      // Joined by the command's process itself (the counter's -g), before its exec.
      const freezerLine = fs
        .readFileSync(path.join(dir, 'cgroup.txt'), 'utf8')
        .split('\n')
        .find((line) => /:freezer:/.test(line));
      expect(freezerLine).toMatch(new RegExp(`:freezer:/${CGROUP_PARENT}/`));
    }, 60_000);

    // A hostile trial of 2026-12-07: the counter said `signal 11`, and the profile kept only "null".
    test('a command killed by a signal: the profile names the signal', async () => {
      const profile = await profileCommand(['sh', '-c', 'kill -SEGV $$'], dir, { counter: 'tracepoints', timeoutMs: 60_000 });
      expect([profile.exitCode, profile.exitSignal]).toEqual([null, 'SIGSEGV']);
    }, 60_000);

    test('at the timeout, a setsid’ed process dies with the rest', async () => {
      const [inGroup, setsid] = [uniqueSleep(), uniqueSleep()];
      const script = `setsid sleep ${setsid} >/dev/null 2>&1 & sleep ${inGroup}`;
      await expect(profileCommand(['sh', '-c', script], dir, { counter: 'tracepoints', timeoutMs: 1000 })).rejects.toThrow(
        /^predict: the profiling run took over 1000 ms \(--timeout 1000\): killed it and every process in its group$/,
      );
      expect(await survivorsOf(`sleep ${inGroup}`)).toEqual([]);
      expect(await survivorsOf(`sleep ${setsid}`)).toEqual([]);
    }, 60_000);
  },
);

describeWhen(
  'counted with strace, a background process does not hold the run',
  toolMissing('strace') || (!fs.existsSync(CALIB_FILE) && `${CALIB_FILE} is not built`),
  'apt-get install strace; node native/build.js',
  () => {
    const dir = tempDir('profile-strace-leftovers');
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    // Before: `strace -f` waits for every tracee, so the run went on until --timeout and failed with
    // "took over … ms" (a non-root predict of `sh -c 'sleep 300 & echo started'`: 10 minutes).
    test('the counter says the command ended: what it left is killed, strace writes its summary, the run is over', async () => {
      const sleep = uniqueSleep();
      const script = `sleep ${sleep} >/dev/null 2>&1 & echo started; exit 3`;
      const profile = await profileCommand(['sh', '-c', script], dir, { counter: 'strace', timeoutMs: 120_000 });
      expect(profile.counter).toBe('strace');
      expect([profile.exitCode, profile.exitSignal]).toEqual([3, null]);
      expect(profile.syscalls.write).toBeGreaterThanOrEqual(1);
      const killed = await profileCommand(['sh', '-c', 'kill -TERM $$'], dir, { counter: 'strace', timeoutMs: 120_000 });
      expect([killed.exitCode, killed.exitSignal]).toEqual([null, 'SIGTERM']);
      expect(await survivorsOf(`sleep ${sleep}`)).toEqual([]);
    }, 150_000);
  },
);
