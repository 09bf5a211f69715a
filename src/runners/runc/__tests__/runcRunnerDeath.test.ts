/**
 * @exclusive gc must be the sweep that removes the SIGKILLed runner's containers (a runc-pool
 * prepared by a file beside it would sweep them first).
 *
 * runc-pool when its runner dies: the owner of a runc container is in its id (PID, start time, PID
 * namespace); a SIGKILLed runner's containers stop by themselves (their agents lose their
 * channel) and what stays (runc's state, bundles, cgroups) is removed by `sandbox-perf gc` or the
 * next runc-pool start, while the containers of a live runner (this test's own pool) are not touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { INSTALL_RUNC, processesMatching, runcMissing, uniqueSleep } from '../../../../test/support/runners';
import { CLI } from '../../../cli/__tests__/support/cli';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { collectGarbage } from '../../gc';
import { createPool, type Pool } from '../../pool/createPool';
import { eventually } from '../../pool/__tests__/support';
import { RUNTIME_SETTING, type OciRuntimeName } from '../ociRuntime';
import { RUNC_BUNDLES, RUNTIME_STATES } from '../runcCli';
import { sandboxDir } from '../../../../test/support/tempDir';

const CHILD = path.join(__dirname, '..', '..', 'pool', '__tests__', 'fixtures', 'poolChild.js');
const monitor = new SandboxPerfMonitor({ sink: false });
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function workdir(): string {
  const dir = sandboxDir('runc-death');
  dirs.push(dir);
  return dir;
}

/** runc-pool container ids owned by `pid`, in crun's or runc's state or as bundles. */
function idsOf(pid: number): string[] {
  const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((id) => id.startsWith(`runc-${pid}.`)) : []);
  return [...new Set([...RUNTIME_STATES.flatMap(list), ...list(RUNC_BUNDLES)])].sort();
}

/** Processes in a container's pids cgroup (its group gone: none). */
function tasksOf(id: string): number {
  const file = `/sys/fs/cgroup/pids/sandbox-perf/${id}/tasks`;
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}

/**
 * A runner process holding a filled runc-pool (on `runtime`, else the one it chooses); resolves
 * once it has served a run and settled.
 */
async function runnerWithPool(runtime?: OciRuntimeName): Promise<{ child: ChildProcess; exited: Promise<NodeJS.Signals | null> }> {
  const env = runtime === undefined ? process.env : { ...process.env, [RUNTIME_SETTING]: runtime };
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ backend: 'runc-pool', options: { cwd: workdir(), size: 2 } })], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_, signal) => resolve(signal)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    child.once('exit', () => reject(new Error(`the runner exited before its pool was ready: ${stderr}`)));
  });
  expect(JSON.parse(line)).toMatchObject({ ran: 'success', error: null, health: { idle: 2, starting: 0, inUse: 0, removing: 0 } });
  return { child, exited };
}

describeWhen('runc-pool when its runner dies', runcMissing(), INSTALL_RUNC, () => {
  let mine: Pool;
  beforeAll(async () => {
    mine = await createPool('runc-pool', { cwd: workdir(), size: 1, monitor });
  }, 120_000);
  afterAll(() => mine.close(), 60_000);

  test('SIGTERM drains the pool: no runc state, bundle or group of it is left when it has exited, and it dies by SIGTERM', async () => {
    const { child, exited } = await runnerWithPool();
    const pid = child.pid as number;
    const theirs = idsOf(pid);
    expect(theirs).toHaveLength(2);
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(idsOf(pid)).toEqual([]);
    for (const id of theirs) expect(fs.existsSync(`/sys/fs/cgroup/pids/sandbox-perf/${id}`)).toBe(false);
  }, 120_000);

  test('SIGKILL: its containers stop by themselves; gc removes their state, bundles and groups, and not a live runner’s', async () => {
    const { child, exited } = await runnerWithPool();
    const pid = child.pid as number;
    const theirs = idsOf(pid);
    expect(theirs).toHaveLength(2);
    for (const id of theirs) expect(tasksOf(id)).toBeGreaterThan(0);
    // While the runner lives, gc leaves its containers alone.
    expect((await collectGarbage()).runcRemoved.filter((id) => theirs.includes(id))).toEqual([]);
    expect(idsOf(pid)).toEqual(theirs);

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // The agents lost their channel: every process of those containers ends without any sweep.
    expect(await eventually(() => theirs.every((id) => tasksOf(id) === 0), 10_000)).toBe(true);
    const mineBefore = idsOf(process.pid);
    expect(mineBefore.length).toBeGreaterThanOrEqual(1);

    const gc = await collectGarbage();
    expect(gc.runcRemoved.filter((id) => theirs.includes(id)).sort()).toEqual(theirs);
    expect(gc.failures.filter((f) => f.startsWith('runc'))).toEqual([]);
    expect(idsOf(pid)).toEqual([]);
    for (const id of theirs) expect(fs.existsSync(`/sys/fs/cgroup/pids/sandbox-perf/${id}`)).toBe(false);
    // This process's pool is untouched and still serves runs.
    expect(idsOf(process.pid)).toEqual(mineBefore);
    const { result } = await mine.run(['true']);
    expect(result.outcome).toBe('success');
  }, 120_000);

  // A hostile trial of 2026-12-07: the runner SIGKILLed during a run, the command ran on (its agent
  // read its channel only between runs) and wrote to the working directory 10 s later.
  test('SIGKILL during a run: the command dies with its runner, and writes nothing after', async () => {
    const dir = workdir();
    const sleep = uniqueSleep();
    const runner = spawn(
      process.execPath,
      [
        CLI,
        'run',
        '--sandbox',
        'runc-pool',
        '--db',
        path.join(dir, '..', `${path.basename(dir)}.db`),
        '--',
        'sh',
        '-c',
        `sleep ${sleep}; echo late > after.txt`,
      ],
      {
        cwd: dir,
        stdio: 'ignore',
      },
    );
    expect(await eventually(() => processesMatching(`sleep ${sleep}`).some((line) => /^\s*\d+ sleep /.test(line)), 30_000)).toBe(true);
    runner.kill('SIGKILL');
    expect(await eventually(() => processesMatching(`sleep ${sleep}`).length === 0, 10_000)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'after.txt'))).toBe(false);
  }, 120_000);

  test('SIGKILL: the next runc-pool start removes what it left', async () => {
    const { child, exited } = await runnerWithPool();
    const pid = child.pid as number;
    expect(idsOf(pid)).toHaveLength(2);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const next = await createPool('runc-pool', { cwd: workdir(), size: 1, monitor });
    try {
      expect(idsOf(pid)).toEqual([]);
    } finally {
      await next.close();
    }
  }, 120_000);

  // A host where crun was installed (or removed) between two runners: each runtime's containers are removed by their own runtime.
  test.each<[OciRuntimeName, OciRuntimeName]>([
    ['runc', 'crun'],
    ['crun', 'runc'],
  ])(
    'SIGKILL of a runner on %s: the next start, on %s, removes its containers and groups',
    async (before, after) => {
      const { child, exited } = await runnerWithPool(before);
      const pid = child.pid as number;
      const theirs = idsOf(pid);
      expect(theirs).toHaveLength(2);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const setting = process.env[RUNTIME_SETTING];
      process.env[RUNTIME_SETTING] = after;
      try {
        const next = await createPool('runc-pool', { cwd: workdir(), size: 1, monitor });
        expect(next.health().runtime).toBe(after);
        await next.close();
      } finally {
        if (setting === undefined) delete process.env.SANDBOX_PERF_OCI_RUNTIME;
        else process.env[RUNTIME_SETTING] = setting;
      }
      expect(idsOf(pid)).toEqual([]);
      for (const id of theirs) {
        for (const controller of fs.readdirSync('/sys/fs/cgroup'))
          expect(fs.existsSync(`/sys/fs/cgroup/${controller}/sandbox-perf/${id}`)).toBe(false);
      }
    },
    120_000,
  );
});
