import fs from 'node:fs';
import { describeWhen } from '../../../../test/support/e2e';
import { runInSandbox } from '../../runInSandbox';
import { createBackend } from '../../createBackend';
import { probeCgroupV1 } from '../cgroupV1';
import { launcherStatus } from '../launcher';
import { spawnerStatus } from '../Spawner';
import {
  EXIT_3_COMMAND,
  exit3Result,
  gvisorMissing,
  processesMatching,
  tempRecording,
  toolMissing,
  uniqueSleep,
} from '../../../../test/support/runners';
import type { BackendName, SandboxBackend } from '../../types';

const recording = tempRecording();
afterAll(async () => {
  await recording.db.close();
  fs.rmSync(recording.dir, { recursive: true, force: true });
});

const HOST_BACKENDS: { name: BackendName; missing: string | false; install: string }[] = [
  { name: 'none', missing: false, install: '' },
  { name: 'unshare', missing: toolMissing('unshare'), install: 'apt-get install util-linux' },
  { name: 'bubblewrap', missing: toolMissing('bwrap'), install: 'apt-get install bubblewrap' },
  { name: 'gvisor', missing: gvisorMissing(), install: 'apt-get install runsc' },
];
const accounted = probeCgroupV1().value !== null;
// The C launcher times the command next to it when it was built (native/build.js at install).
const timed = launcherStatus().path !== null;
// The C spawner starts and times every host run when it was built (the same build).
const spawned = spawnerStatus().path !== null;

for (const { name, missing, install } of HOST_BACKENDS) {
  describeWhen(
    `${name} backend (real processes)`,
    missing,
    install,
    () => {
      let backend: SandboxBackend;
      beforeAll(async () => {
        backend = createBackend(name, { cwd: recording.dir, cgroups: accounted });
        await backend.prepare();
      }, 60_000);
      afterAll(() => backend.teardown());

      test('runs a real command: stdout, stderr and exit code come back, rows land in SQLite', async () => {
        const sandboxId = `${name}-exit-3`;
        const { record, result } = await runInSandbox(backend, [...EXIT_3_COMMAND], {
          monitor: recording.monitor,
          sandboxId,
        });
        expect(result).toMatchObject(exit3Result(name));
        expect(record).toMatchObject({ sandboxId, outcome: 'error' });
        // With the launcher the run splits around the command (gVisor's clock is its own: one `sandbox` phase).
        const run = timed ? (name === 'gvisor' ? ['sandbox', 'command'] : ['spawn', 'command', 'exit']) : ['run'];
        // `runner`, last: the runner's bookkeeping between the backend's phases (runInSandbox adds it).
        // Through the spawner the record is its window alone: `none` is the command (the spawner
        // times it), the set-up and cleanup around the window are untimed (docs/runners.md).
        if (spawned) {
          expect(Object.keys(result.phases)).toEqual([...(name === 'none' ? ['command'] : run), 'runner']);
          expect(result.untimed?.setupMs).toBeGreaterThan(0);
          expect(result.untimed?.teardownMs).toBeGreaterThan(0);
        } else {
          expect(Object.keys(result.phases)).toEqual(['setup', ...run, ...(accounted ? ['cleanup'] : []), 'runner']);
        }
        await recording.db.flush();
        const rows = recording.rows(sandboxId);
        expect(rows.record).toMatchObject({ outcome: 'error' });
        expect(rows.details).toMatchObject({ backend: name, exit_code: 3, signal: null, error: 'exited with code 3' });
        expect(Object.keys(rows.phases).sort()).toEqual(Object.keys(result.phases).sort());
        // The first run also starts the history's writer thread: seconds on a loaded 2-CPU machine.
      }, 30_000);

      test('a success is recorded as success, with CPU time and peak memory where cgroup v1 or the launcher accounts them', async () => {
        const { result } = await runInSandbox(backend, ['node', '-e', 'process.stdout.write(String(6 * 7))'], {
          monitor: recording.monitor,
        });
        expect(result).toMatchObject({ outcome: 'success', exitCode: 0, stdout: '42', error: null });
        if (accounted || timed) {
          expect(result.cpuMs).toBeGreaterThan(0);
          expect(result.peakMemoryBytes).toBeGreaterThan(1024 * 1024);
        } else {
          expect(result).toMatchObject({ cpuMs: null, peakMemoryBytes: null });
        }
      });

      test('the command sees exactly the minimal environment', async () => {
        const { result } = await runInSandbox(backend, ['node', '-e', 'process.stdout.write(JSON.stringify(process.env))'], {
          monitor: recording.monitor,
        });
        expect(JSON.parse(result.stdout)).toEqual({
          PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          HOME: '/tmp',
          LANG: 'C.UTF-8',
          PWD: recording.dir,
        });
      });

      test('a timeout kills the whole process group: outcome timeout, and ps shows nothing left', async () => {
        const seconds = uniqueSleep();
        const sandboxId = `${name}-timeout`;
        // A background sleep as well, which a kill of the direct child alone would leave running.
        const { result } = await runInSandbox(backend, ['sh', '-c', `sleep ${seconds} & sleep ${seconds}; wait`], {
          monitor: recording.monitor,
          sandboxId,
          timeoutMs: 700,
        });
        expect(result).toMatchObject({ outcome: 'timeout', exitCode: null, signal: 'SIGKILL', error: 'timed out after 700 ms' });
        expect(processesMatching(seconds)).toEqual([]);
        await recording.db.flush();
        expect(recording.rows(sandboxId).details).toMatchObject({ backend: name, signal: 'SIGKILL', exit_code: null });
      }, 20_000);

      test('a command that does not exist is an error with its message (ENOENT), recorded as such', async () => {
        const sandboxId = `${name}-enoent`;
        const { record, result } = await runInSandbox(backend, ['sandbox-perf-no-such-command'], { monitor: recording.monitor, sandboxId });
        expect(result).toMatchObject({ outcome: 'error', exitCode: null, error: 'spawn sandbox-perf-no-such-command ENOENT' });
        expect(record.outcome).toBe('error');
        await recording.db.flush();
        expect(recording.rows(sandboxId).details).toMatchObject({ error: 'spawn sandbox-perf-no-such-command ENOENT' });
      });

      test('output beyond maxOutputBytes is dropped and flagged', async () => {
        const result = await backend.run(['node', '-e', 'process.stdout.write("x".repeat(5000))'], { maxOutputBytes: 100 });
        expect(result.stdout).toBe('x'.repeat(100));
        expect(result.stdoutTruncated).toBe(true);
      });
    },
    { optional: name === 'gvisor' },
  );
}

describeWhen(
  'cgroup v1 quotas on host processes',
  probeCgroupV1().value ? false : probeCgroupV1().reason,
  'run as root on a host with cgroup v1 memory/cpu/cpuacct mounted',
  () => {
    test('a run over its memory limit is killed and says so', async () => {
      const { result } = await runInSandbox('none', ['node', '-e', 'const b = Buffer.alloc(400 * 1024 * 1024, 1); console.log(b.length)'], {
        monitor: recording.monitor,
        memoryBytes: 96 * 1024 * 1024,
        cwd: recording.dir,
      });
      expect(result).toMatchObject({
        outcome: 'error',
        signal: 'SIGKILL',
        error: `killed: memory limit of ${96 * 1024 * 1024} bytes reached`,
      });
      expect(result.peakMemoryBytes).toBeLessThanOrEqual(96 * 1024 * 1024);
    });

    test('a CPU limit is accepted and the run still completes', async () => {
      const { result } = await runInSandbox('bubblewrap', ['true'], { monitor: recording.monitor, cpus: 0.5, cwd: recording.dir });
      expect(result.outcome).toBe('success');
    });
  },
);
