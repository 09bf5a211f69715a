import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describeWhen } from '../../../../test/support/e2e';
import { OWNER_PID_LABEL } from '../containerOwner';
import { runInSandbox } from '../../runInSandbox';
import { createBackend } from '../../createBackend';
import { launcherStatus } from '../../host/launcher';
import {
  dockerImage,
  dockerMissing,
  EXIT_3_COMMAND,
  exit3Result,
  INSTALL_DOCKER,
  processesMatching,
  tempRecording,
  uniqueSleep,
} from '../../../../test/support/runners';
import type { BackendName, SandboxBackend } from '../../types';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';

const recording = tempRecording();
afterAll(async () => {
  await recording.db.close();
  fs.rmSync(recording.dir, { recursive: true, force: true });
});

// With the C launcher in the container, the command's own time splits start + wait (exec) around it.
const timed = launcherStatus().path !== null;
const PHASES: Record<string, string[]> = {
  // The engine removes the container as it exits (the wait answers then): no remove phase; `client` is our own share.
  docker: timed ? ['create', 'attach', 'spawn', 'command', 'exit', 'client'] : ['create', 'attach', 'start', 'wait', 'client'],
  'docker-warm': timed ? ['exec-create', 'spawn', 'command', 'exit', 'inspect'] : ['exec-create', 'exec', 'inspect'],
};

/** Containers this test process created that still exist (running or not); other processes' are theirs. */
function leftoverContainers(): string[] {
  const ps = spawnSync('docker', ['ps', '-a', '-q', '--filter', `label=${OWNER_PID_LABEL}=${process.pid}`], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter(Boolean);
}

const missing = dockerMissing();
for (const name of ['docker', 'docker-warm'] as BackendName[]) {
  describeWhen(`${name} backend (real engine, image ${dockerImage})`, missing, INSTALL_DOCKER, () => {
    let backend: SandboxBackend;
    beforeAll(async () => {
      backend = createBackend(name, { cwd: recording.dir });
      await backend.prepare();
    }, 60_000);
    afterAll(() => backend.teardown(), 30_000);

    test('runs a real command: stdout, stderr, exit code and phases come back, rows land in SQLite', async () => {
      const sandboxId = `${name}-exit-3`;
      const { record, result } = await runInSandbox(backend, [...EXIT_3_COMMAND], {
        monitor: recording.monitor,
        sandboxId,
      });
      expect(result).toMatchObject(exit3Result(name));
      expect(record).toMatchObject({ sandboxId, outcome: 'error' });
      // `runner`, last: the runner's bookkeeping between the backend's phases (runInSandbox adds it).
      // docker-warm's `cleanup` (the processes a run left, killed) comes when there were any; docker has none.
      const phases = Object.keys(result.phases).filter((phase) => name === 'docker' || phase !== 'cleanup');
      expect(phases).toEqual([...(PHASES[name] as string[]), 'runner']);
      await recording.db.flush();
      const rows = recording.rows(sandboxId);
      expect(rows.details).toMatchObject({ backend: name, exit_code: 3, error: 'exited with code 3' });
      expect(Object.keys(rows.phases).sort()).toEqual(Object.keys(result.phases).sort());
    }, 30_000);

    test('node runs in the image with the same environment as every backend (plus the HOSTNAME Docker always sets)', async () => {
      const { result } = await runInSandbox(backend, ['node', '-e', 'process.stdout.write(JSON.stringify(process.env))'], {
        monitor: recording.monitor,
      });
      expect(result.outcome).toBe('success');
      const { HOSTNAME, ...env } = JSON.parse(result.stdout) as Record<string, string>;
      expect(HOSTNAME).toEqual(expect.any(String));
      expect(env).toEqual({
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: '/tmp',
        LANG: 'C.UTF-8',
        PWD: recording.dir,
      });
    }, 30_000);

    test("a command that does not exist is an error with the engine message (or the launcher's, when it starts the command)", async () => {
      const sandboxId = `${name}-enoent`;
      const { result } = await runInSandbox(backend, ['sandbox-perf-no-such-command'], { monitor: recording.monitor, sandboxId });
      expect(result.outcome).toBe('error');
      expect(result.error).toMatch(
        timed ? /^spawn sandbox-perf-no-such-command ENOENT$/ : /"sandbox-perf-no-such-command": executable file not found in \$PATH/,
      );
      await recording.db.flush();
      expect(recording.rows(sandboxId).details).toMatchObject({ backend: name, error: result.error });
    }, 30_000);

    test('a timeout kills the container: outcome timeout, ps shows nothing left, no container remains but the warm one', async () => {
      const seconds = uniqueSleep();
      const { result } = await runInSandbox(backend, ['sh', '-c', `sleep ${seconds} & sleep ${seconds}; wait`], {
        monitor: recording.monitor,
        timeoutMs: 1500,
      });
      expect(result).toMatchObject({ outcome: 'timeout', exitCode: null, signal: 'SIGKILL', error: 'timed out after 1500 ms' });
      expect(processesMatching(seconds)).toEqual([]);
      // docker-warm discards its container on a timeout and starts a new one on the next run.
      expect(leftoverContainers()).toEqual([]);
      const next = await backend.run(['true']);
      expect(next.outcome).toBe('success');
      if (name === 'docker-warm') expect(Object.keys(next.phases)[0]).toBe('recreate');
    }, 30_000);
  });
}

describeWhen('docker-warm reuse', missing, INSTALL_DOCKER, () => {
  test('runs share one container until teardown, which removes it', async () => {
    const backend = createBackend('docker-warm', { cwd: recording.dir });
    await backend.prepare();
    try {
      const first = await backend.run(['sh', '-c', 'cat /proc/sys/kernel/hostname']);
      const second = await backend.run(['sh', '-c', 'cat /proc/sys/kernel/hostname']);
      expect(first.stdout).toBe(second.stdout);
      expect(leftoverContainers()).toHaveLength(1);
    } finally {
      await backend.teardown();
    }
    expect(leftoverContainers()).toEqual([]);
  }, 30_000);

  test('a one-shot runInSandbox prepares and tears down around the run, outside the record', async () => {
    const { result, setup } = await runInSandbox('docker-warm', ['true'], { monitor: recording.monitor, cwd: recording.dir });
    expect(result.outcome).toBe('success');
    expect(setup).toEqual({ prepareMs: expect.any(Number) as number, teardownMs: expect.any(Number) as number });
    expect(leftoverContainers()).toEqual([]);
  }, 30_000);
});

describeWhen('docker: the timed window (docs/runners.md, "The timed window")', missing, INSTALL_DOCKER, () => {
  test('the record ends when the container is gone: its phases tile it, and our accounting group is read and removed after it (untimed teardown)', async () => {
    const backend = createBackend('docker', { cwd: recording.dir });
    await backend.prepare();
    try {
      const monitor = new SandboxPerfMonitor({ sink: false });
      const run = await runInSandbox(backend, ['true'], { monitor });
      expect(run.result.outcome).toBe('success');
      // Before, the accounting group's read and removal was phase `cleanup`, inside the record.
      expect(run.result.phases).not.toHaveProperty('cleanup');
      // Nothing of the runner's between the window's end and the record's: the phases tile the window.
      expect(run.result.phases.runner).toBeLessThan(1e-6);
      const phaseSum = Object.values(run.result.phases).reduce((sum, ms) => sum + ms, 0);
      expect(run.record.durationMs).toBeCloseTo(phaseSum, 6);
      expect(run.result.untimed?.setupMs).toBe(0);
      expect(run.result.untimed?.teardownMs).toBeGreaterThan(0);
    } finally {
      await backend.teardown();
    }
  }, 60_000);
});

describeWhen('docker quotas', missing, INSTALL_DOCKER, () => {
  test('a run over its memory limit is killed by the engine and says so', async () => {
    const { result } = await runInSandbox('docker', ['node', '-e', 'const b = Buffer.alloc(400 * 1024 * 1024, 1); console.log(b.length)'], {
      monitor: recording.monitor,
      memoryBytes: 96 * 1024 * 1024,
      cwd: recording.dir,
    });
    expect(result).toMatchObject({ outcome: 'error', error: `killed: memory limit of ${96 * 1024 * 1024} bytes reached` });
  }, 30_000);
});
