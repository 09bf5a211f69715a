import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { GUARDIAN_TITLE } from '../containerGuardian';
import { dockerMissing, INSTALL_DOCKER, processesMatching, uniqueSleep } from '../../../../test/support/runners';
import { containersOf, killGuardianOf, startRunners, until, type Runner } from './runnerDeath';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-runner-death-'));
fs.chmodSync(dir, 0o777);
const histories = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-runner-death-db-'));
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(histories, { recursive: true, force: true });
});

const PREPARE_CHILD = path.join(__dirname, 'fixtures', 'prepareChild.js');
const REGISTER_TS = path.join(__dirname, '..', '..', '..', '..', 'test', 'support', 'registerTs.js');

const missing = dockerMissing();
for (const backend of ['docker', 'docker-warm']) {
  describeWhen(`${backend}: runs die with their runner`, missing, INSTALL_DOCKER, () => {
    // The runners of the four tests that signal one start at once; each test awaits its own.
    const ROLES = ['SIGTERM', 'SIGINT', 'guardian', 'next'] as const;
    const runners = new Map<(typeof ROLES)[number], Promise<Runner>>();
    const alive = new Set<number>();
    beforeAll(() => {
      startRunners(
        ROLES.map(() => backend),
        dir,
      ).forEach((runner, i) => {
        runner.then(
          (started) => {
            alive.add(started.pid);
            void started.ended.then(() => alive.delete(started.pid));
          },
          () => undefined, // awaited (and failed) by its test
        );
        runners.set(ROLES[i] as (typeof ROLES)[number], runner);
      });
    });
    // A test that failed before its signal leaves its runner alive.
    afterAll(() => {
      for (const pid of alive) process.kill(pid, 'SIGKILL');
    });
    test.each(['SIGTERM', 'SIGINT'] as const)(
      `%s of a library process running ${backend} removes its container before the process exits`,
      async (signal) => {
        const runner = await (runners.get(signal) as Promise<Runner>);
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
      const runner = await (runners.get('guardian') as Promise<Runner>);
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
      const runner = await (runners.get('next') as Promise<Runner>);
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
  });
}
