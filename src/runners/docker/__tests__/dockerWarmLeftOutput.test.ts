/**
 * Regression (hostile trial, s37): on docker-warm a command that left a background process holding
 * its output (`sh -c '(sleep 5 &); echo done'`) was recorded about 2 s long: the engine waits up to
 * 2 s for an exec's output to close before it ends the exec, and the run waited for that stream
 * (phase `exit` 2003 ms). The run now ends where the launcher says the command ended, and what the
 * command left is killed then, as docker's container ends with its PID 1.
 */
import fs from 'node:fs';
import { describeWhen } from '../../../../test/support/e2e';
import { dockerMissing, INSTALL_DOCKER, preparedBackend, processesMatching, uniqueSleep } from '../../../../test/support/runners';
import { sandboxDir } from '../../../../test/support/tempDir';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { launcherStatus } from '../../host/launcher';
import { runInSandbox } from '../../runInSandbox';

const dir = sandboxDir('warm-left-output');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const monitor = new SandboxPerfMonitor({ sink: false });
/** The engine's own wait for an exec's output to close, which a run must not carry. */
const ENGINE_WAIT_MS = 2000;

const missing = (launcherStatus().path === null && 'the launcher is not built (node native/build.js)') || dockerMissing();
describeWhen('docker-warm: a background process holding the output', missing, INSTALL_DOCKER, () => {
  const backend = preparedBackend('docker-warm', { cwd: dir });

  test.each([
    ['stdout and stderr', ''],
    ['stdout', ' 2>/dev/null'],
    ['stderr', ' >/dev/null'],
  ])(
    'holding %s: the run ends with the command (no 2 s wait in exit or cleanup), its output kept, what it left killed',
    async (_what, redirect) => {
      const seconds = uniqueSleep();
      const { result, record, commandMs } = await runInSandbox(backend(), ['sh', '-c', `(sleep ${seconds}${redirect} &); echo done`], {
        monitor,
        timeoutMs: 60_000,
      });
      expect(result).toMatchObject({ outcome: 'success', exitCode: 0, stdout: 'done\n', stderr: '', timer: 'launcher' });
      expect(processesMatching(seconds)).toEqual([]);
      // The phase that carried the engine's wait, and the kill after the report: well under it.
      expect(result.phases.exit).toBeLessThan(ENGINE_WAIT_MS / 2);
      expect(result.phases.cleanup ?? 0).toBeLessThan(ENGINE_WAIT_MS / 2);
      expect(commandMs).toEqual(expect.any(Number));
      expect(record.durationMs).toBeLessThan(ENGINE_WAIT_MS);
    },
    120_000,
  );

  test('a process left writing after the report: it is killed before it writes, the run keeps its status and time', async () => {
    const seconds = uniqueSleep();
    const { result } = await runInSandbox(
      backend(),
      ['sh', '-c', `(sleep 0.5; echo late; echo late >&2) & (sleep ${seconds} &); echo done; exit 3`],
      { monitor, timeoutMs: 60_000 },
    );
    expect(result).toMatchObject({ outcome: 'error', exitCode: 3, stdout: 'done\n', stderr: '', timer: 'launcher' });
    expect(result.phases.exit).toBeLessThan(ENGINE_WAIT_MS / 2);
    expect(processesMatching(seconds)).toEqual([]);
  }, 120_000);
});
