import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { GUARDIAN_TITLE } from '../containerGuardian';
import { OWNER_PID_LABEL } from '../containerOwner';
import { processesMatching, uniqueSleep } from '../../../../test/support/runners';

/* What the runner-death tests of docker and docker-warm share (dockerRunnerDeath, dockerRunnerDeathGc). */

const RUNNER_CHILD = path.join(__dirname, '..', '..', '..', '..', 'test', 'support', 'runnerChild.js');

/** Containers, running or not, whose owner label names `pid`. */
export function containersOf(pid: number): string[] {
  const ps = spawnSync('docker', ['ps', '-a', '-q', '--filter', `label=${OWNER_PID_LABEL}=${pid}`], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter(Boolean);
}

export async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

export interface Runner {
  pid: number;
  sleep: string;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A child Node process running `runInSandbox(backend, ['sleep', <unique>])` in `cwd`, just spawned. */
function spawnRunner(backend: string, cwd: string): Runner {
  const sleep = uniqueSleep();
  const request = { backend, command: ['sleep', sleep], options: { cwd } };
  const child = spawn(process.execPath, [RUNNER_CHILD, JSON.stringify(request)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const ended = new Promise<Runner['ended'] extends Promise<infer T> ? T : never>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { pid: child.pid ?? 0, sleep, ended };
}

/** A child Node process running `runInSandbox(backend, ['sleep', <unique>])` in `cwd`, once the sleep runs in its container. */
export async function startRunner(backend: string, cwd: string): Promise<Runner> {
  const runner = spawnRunner(backend, cwd);
  expect(await until(() => processesMatching(`sleep ${runner.sleep}`).length > 0, 90_000)).toBe(true);
  return runner;
}

/**
 * Runners of `backends` started at once (each mostly waits on the engine), watched by one `ps` every
 * 50 ms for all of them; each promise resolves once its sleep runs in its container, or rejects
 * after 90 s.
 */
export function startRunners(backends: readonly string[], cwd: string): Promise<Runner>[] {
  const waiting = new Map<Runner, { resolve: (runner: Runner) => void; reject: (error: Error) => void }>();
  const started = backends.map(
    (backend) =>
      new Promise<Runner>((resolve, reject) => {
        waiting.set(spawnRunner(backend, cwd), { resolve, reject });
      }),
  );
  const deadline = Date.now() + 90_000;
  void (async () => {
    while (waiting.size > 0) {
      const sleeps = processesMatching('sleep ');
      for (const [runner, { resolve, reject }] of waiting) {
        if (sleeps.some((line) => line.includes(`sleep ${runner.sleep}`))) resolve(runner);
        else if (Date.now() > deadline) reject(new Error(`the sleep ${runner.sleep} of runner ${runner.pid} did not start within 90 s`));
        else continue;
        waiting.delete(runner);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return started;
}

/** SIGKILLs the guardian of runner `pid`: the runner's whole process tree dies, as under an OOM kill of its cgroup. */
export function killGuardianOf(pid: number): void {
  for (const line of processesMatching(`${GUARDIAN_TITLE} of ${pid}`)) process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
}
