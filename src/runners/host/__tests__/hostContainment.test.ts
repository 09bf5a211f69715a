import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { probeFreezer } from '../containmentGroup';
import { createBackend } from '../../createBackend';
import { gvisorMissing, processesMatching, toolMissing, uniqueSleep } from '../../../../test/support/runners';
import type { BackendName, SandboxBackend } from '../../types';
import { sandboxDir } from '../../../../test/support/tempDir';

/*
 * The "processes" and "runner dies" columns of the guarantee table: on every host backend, `none`
 * included, what a command starts ends with the run (at its timeout, at its normal end, and when
 * its runner is SIGKILLed or SIGTERMed), setsid and double-forked escapes included.
 */

const cwd = sandboxDir('containment');
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

const RUNNER_CHILD = path.join(__dirname, '..', '..', '..', '..', 'test', 'support', 'runnerChild.js');

async function gone(marker: string, withinMs: number): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  let left = processesMatching(marker);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = processesMatching(marker);
  }
  return left;
}

/**
 * Starts a runner process running `sleep <marker>` in `backend` (after an `echo`, which the runner
 * announces), waits until the sleep runs, signals the runner.
 */
async function signalRunner(backend: BackendName, signal: NodeJS.Signals): Promise<{ marker: string; exit: NodeJS.Signals | null }> {
  const marker = uniqueSleep();
  // `sleep <marker>` is on the command lines of the run's processes (gVisor's: runsc's), not in the runner's JSON argv.
  const command = ['sh', '-c', 'echo started; exec "$@"', 'sh', 'sleep', marker];
  const request = { backend, command, options: { cwd }, announce: true };
  const child = spawn(process.execPath, [RUNNER_CHILD, JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  // Its output says the command runs in its sandbox: where gVisor starts it, the host saw runsc long before.
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('output') && resolve());
    child.once('exit', () => resolve());
  });
  const deadline = Date.now() + 60_000;
  while (processesMatching(`sleep ${marker}`).length === 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill(signal);
  return { marker, exit: await exited };
}

const BACKENDS: { name: BackendName; missing: string | false; install: string; optional?: boolean }[] = [
  {
    name: 'none',
    missing: probeFreezer().root === null && `\`none\` contains a run's processes with a cgroup v1 freezer group: ${probeFreezer().reason}`,
    install: 'run as root on a host with the cgroup v1 freezer hierarchy mounted',
  },
  { name: 'unshare', missing: toolMissing('unshare'), install: 'apt-get install util-linux' },
  { name: 'bubblewrap', missing: toolMissing('bwrap'), install: 'apt-get install bubblewrap' },
  { name: 'gvisor', missing: gvisorMissing(), install: 'apt-get install runsc', optional: true },
];

for (const { name, missing, install, optional } of BACKENDS) {
  describeWhen(
    `${name}: a run leaves no process behind`,
    missing,
    install,
    () => {
      let backend: SandboxBackend;
      beforeAll(async () => {
        backend = createBackend(name, { cwd });
        await backend.prepare();
      }, 120_000);
      afterAll(() => backend.teardown());

      test(`escapes from the timeout on ${name}: a setsid escape is killed at the timeout, which returns at once`, async () => {
        const marker = uniqueSleep();
        const called = performance.now();
        const result = await backend.run(['sh', '-c', `setsid sleep ${marker} & sleep ${marker}`], { timeoutMs: 500 });
        expect(result.outcome).toBe('timeout');
        // Not the 2.5 s it took when the escape held the output pipes open until a grace period ended.
        expect(performance.now() - called).toBeLessThan(2000);
        expect(processesMatching(marker)).toEqual([]);
      }, 30_000);

      test('a setsid escape is killed when the command ends normally', async () => {
        const marker = uniqueSleep();
        const result = await backend.run(['sh', '-c', `setsid sleep ${marker} > /dev/null 2>&1 < /dev/null & exit 0`]);
        expect(result.outcome).toBe('success');
        expect(await gone(marker, 2000)).toEqual([]);
      }, 30_000);

      test('a double-forked escape is killed when the command ends normally', async () => {
        const marker = uniqueSleep();
        const result = await backend.run(['sh', '-c', `(sh -c 'sleep ${marker}' > /dev/null 2>&1 < /dev/null &) ; exit 0`]);
        expect(result.outcome).toBe('success');
        expect(await gone(marker, 2000)).toEqual([]);
      }, 30_000);

      test(`runs outlive their runner, on ${name}: after a SIGKILL of the runner nothing of the run is alive within 5 s`, async () => {
        const { marker, exit } = await signalRunner(name, 'SIGKILL');
        expect(exit).toBe('SIGKILL');
        expect(await gone(`sleep ${marker}`, 5000)).toEqual([]);
      }, 120_000);

      test('SIGTERM of the runner kills the run before the runner exits, with SIGTERM', async () => {
        const { marker, exit } = await signalRunner(name, 'SIGTERM');
        expect(exit).toBe('SIGTERM');
        expect(processesMatching(`sleep ${marker}`)).toEqual([]);
      }, 120_000);
    },
    { optional },
  );
}
