import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describeWhen } from '../../../../test/support/e2e';
import { main } from '../../../cli/main';
import { GUARDIAN_TITLE } from '../containerGuardian';
import { OWNER_PID_LABEL } from '../containerOwner';
import { dockerMissing, INSTALL_DOCKER, processesMatching, uniqueSleep } from '../../../../test/support/runners';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-runner-death-'));
fs.chmodSync(dir, 0o777);
const histories = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-runner-death-db-'));
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(histories, { recursive: true, force: true });
});

const RUNNER_CHILD = path.join(__dirname, '..', '..', '..', '..', 'test', 'support', 'runnerChild.js');
const PREPARE_CHILD = path.join(__dirname, 'fixtures', 'prepareChild.js');
const REGISTER_TS = path.join(__dirname, '..', '..', '..', '..', 'test', 'support', 'registerTs.js');

/** Containers, running or not, whose owner label names `pid`. */
function containersOf(pid: number): string[] {
  const ps = spawnSync('docker', ['ps', '-a', '-q', '--filter', `label=${OWNER_PID_LABEL}=${pid}`], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter(Boolean);
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

interface Runner {
  pid: number;
  sleep: string;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A child Node process running `runInSandbox(backend, ['sleep', <unique>])`, once the sleep runs in its container. */
async function startRunner(backend: string): Promise<Runner> {
  const sleep = uniqueSleep();
  const request = { backend, command: ['sleep', sleep], options: { cwd: dir } };
  const child = spawn(process.execPath, [RUNNER_CHILD, JSON.stringify(request)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const ended = new Promise<Runner['ended'] extends Promise<infer T> ? T : never>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const pid = child.pid ?? 0;
  expect(await until(() => processesMatching(`sleep ${sleep}`).length > 0, 90_000)).toBe(true);
  return { pid, sleep, ended };
}

/** SIGKILLs the guardian of runner `pid`: the runner's whole process tree dies, as under an OOM kill of its cgroup. */
function killGuardianOf(pid: number): void {
  for (const line of processesMatching(`${GUARDIAN_TITLE} of ${pid}`)) process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
}

const missing = dockerMissing();
for (const backend of ['docker', 'docker-warm']) {
  describeWhen(`${backend}: runs die with their runner`, missing, INSTALL_DOCKER, () => {
    test.each(['SIGTERM', 'SIGINT'] as const)(
      `%s of a library process running ${backend} removes its container before the process exits`,
      async (signal) => {
        const runner = await startRunner(backend);
        expect(containersOf(runner.pid)).toHaveLength(1);
        process.kill(runner.pid, signal);
        expect(await runner.ended).toEqual({ code: null, signal });
        expect(containersOf(runner.pid)).toEqual([]);
        expect(processesMatching(`sleep ${runner.sleep}`)).toEqual([]);
      },
      180_000,
    );

    test(`runs outlive their runner: an interrupted \`compare --sandbox ${backend}\` leaves no container behind`, async () => {
      const sleep = uniqueSleep();
      const cli = path.join(__dirname, '..', '..', '..', 'cli', 'main.ts');
      // Outside the working directory: a history the sandbox could reach is refused (issue 23, finding 6).
      const db = path.join(histories, `compare-${backend}.db`);
      const child = spawn(
        process.execPath,
        ['-r', REGISTER_TS, cli, 'compare', '--sandbox', backend, '--runs', '20', '--db', db, '--', 'sleep', sleep],
        { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] },
      );
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      const pid = child.pid ?? 0;
      // The sleep itself, not the compare whose argv holds the same words.
      const sleeping = () => processesMatching(`sleep ${sleep}`).filter((line) => /^\s*\d+ sleep /.test(line));
      expect(await until(() => sleeping().length > 0, 90_000)).toBe(true);
      expect(containersOf(pid).length).toBeGreaterThan(0);
      child.kill('SIGINT');
      const { code, signal } = await ended;
      expect(signal === 'SIGINT' || code === 130).toBe(true);
      expect(containersOf(pid)).toEqual([]);
      expect(sleeping()).toEqual([]);
    }, 180_000);

    test(`runs die with their runner after SIGKILL: nothing of a SIGKILLed ${backend} runner's run is alive within 5 s (its guardian removes the container)`, async () => {
      const runner = await startRunner(backend);
      expect(processesMatching(`${GUARDIAN_TITLE} of ${runner.pid}`)).toHaveLength(1);
      process.kill(runner.pid, 'SIGKILL');
      await runner.ended;
      const killedAt = Date.now();
      expect(
        await until(() => containersOf(runner.pid).length === 0 && processesMatching(`sleep ${runner.sleep}`).length === 0, 5000),
      ).toBe(true);
      expect(Date.now() - killedAt).toBeLessThan(5000);
      // The guardian exits once its work is done.
      expect(await until(() => processesMatching(`${GUARDIAN_TITLE} of ${runner.pid}`).length === 0, 5000)).toBe(true);
    }, 180_000);

    test(`runs die with their runner after SIGKILL: the next start of a Docker backend removes the container of a SIGKILLed ${backend} runner`, async () => {
      const runner = await startRunner(backend);
      killGuardianOf(runner.pid);
      process.kill(runner.pid, 'SIGKILL');
      await runner.ended;
      // A fresh process preparing a Docker backend: its start sweeps what dead owners left.
      const next = spawnSync(process.execPath, [PREPARE_CHILD, JSON.stringify({ backend: 'docker', options: { cwd: dir } })], {
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(next.stdout).toContain('prepared');
      expect(containersOf(runner.pid)).toEqual([]);
      expect(await until(() => processesMatching(`sleep ${runner.sleep}`).length === 0, 5000)).toBe(true);
    }, 180_000);

    test(`runs die with their runner after SIGKILL: \`sandbox-perf gc\` removes the container of a SIGKILLed ${backend} runner and says so`, async () => {
      const runner = await startRunner(backend);
      const [id] = containersOf(runner.pid);
      killGuardianOf(runner.pid);
      process.kill(runner.pid, 'SIGKILL');
      await runner.ended;
      const stdout = new PassThrough();
      let out = '';
      stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const code = await main(['gc'], { stdout, stderr: new PassThrough(), env: {}, cwd: dir });
      expect(code).toBe(0);
      expect(out).toMatch(/^Removed [1-9]\d* containers? whose owner is gone \(/);
      expect(out).toContain((id ?? '').slice(0, 12));
      expect(containersOf(runner.pid)).toEqual([]);
      expect(await until(() => processesMatching(`sleep ${runner.sleep}`).length === 0, 5000)).toBe(true);
    }, 180_000);
  });
}
