import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { ownerLabels } from '../../docker/containerOwner';
import { currentOwner } from '../../owner';
import { collectGarbage } from '../../gc';
import { dockerMissing, INSTALL_DOCKER } from '../../../../test/support/runners';
import { createPool } from '../createPool';
import { eventually, poolContainersIn } from './support';
import { sandboxDir } from '../../../../test/support/tempDir';

const CHILD = path.join(__dirname, 'fixtures', 'poolChild.js');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts a runner process holding a filled docker-pool in its own directory; resolves once it has served a run and settled. */
async function runnerWithPool(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; dir: string; exited: Promise<NodeJS.Signals | null> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-pool-death-'));
  // Containers run as nobody in a root-owned directory: it must let them in.
  fs.chmodSync(dir, 0o777);
  dirs.push(dir);
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ backend: 'docker-pool', options: { cwd: dir, size: 2 } })], {
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
  // Settled: the used sandbox removed and replaced (a snapshot taken before could list a directory the pool removes next).
  expect(JSON.parse(line)).toMatchObject({ ran: 'success', error: null, health: { idle: 2, starting: 0, inUse: 0, removing: 0 } });
  return { child, dir, exited };
}

type Held = Awaited<ReturnType<typeof runnerWithPool>>;

describeWhen('docker-pool when its runner dies', dockerMissing(), INSTALL_DOCKER, () => {
  // The gc test's runner has its own temporary directory, so that its socket directories are told apart from other processes'.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-pool-tmp-'));
  dirs.push(tmp);
  // The three runners start and fill their pools at once (mostly waiting on container starts); each test awaits its own.
  const runners: Record<'sigterm' | 'gc' | 'next', Promise<Held>> = {} as Record<'sigterm' | 'gc' | 'next', Promise<Held>>;
  beforeAll(() => {
    runners.sigterm = runnerWithPool();
    runners.gc = runnerWithPool({ ...process.env, TMPDIR: tmp });
    runners.next = runnerWithPool();
    for (const runner of Object.values(runners)) runner.catch(() => undefined); // awaited (and failed) by its test
  });
  afterAll(async () => {
    // A test that failed before its signal leaves its runner alive.
    for (const runner of Object.values(runners)) (await runner.catch(() => null))?.child.kill('SIGKILL');
  });

  test('SIGTERM of a runner holding a pool drains it: no container of it is left when it has exited, and it dies by SIGTERM', async () => {
    const { child, dir, exited } = await runners.sigterm;
    expect(poolContainersIn(dir).length).toBeGreaterThanOrEqual(2);
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(poolContainersIn(dir)).toEqual([]);
  }, 120_000);

  test('SIGKILL of a runner holding a pool: gc removes its socket directories, and no directory that is not provably ours', async () => {
    const { child, dir, exited } = await runners.gc;
    // Its two idle sandboxes' directories (the one that served the run was removed with its container).
    expect(fs.readdirSync(tmp)).toHaveLength(2);
    const theirs = fs.readdirSync(tmp).map((name) => path.join(tmp, name));
    for (const d of theirs) expect(fs.readdirSync(d).sort()).toEqual(['agent', 'owner.json']);
    // While the runner lives, its directories are in use: left alone.
    expect((await collectGarbage({ tmpDir: tmp })).socketDirsRemoved).toEqual([]);

    const dead = JSON.stringify(
      ownerLabels({ ...currentOwner(), pid: Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout) }),
    );
    const decoy = (name: string, files: Record<string, string>): string => {
      const d = path.join(tmp, name);
      fs.mkdirSync(d);
      for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(d, file), text);
      return d;
    };
    const withExtraFile = decoy('sandbox-perf-pool-Decoy1', { 'owner.json': dead, 'keep.txt': 'not ours' });
    const noOwner = decoy('sandbox-perf-pool-Decoy2', {});
    const otherUser = decoy('sandbox-perf-pool-Decoy3', { 'owner.json': dead });
    fs.chownSync(otherUser, 65534, 65534);
    const target = decoy('a-target-elsewhere', { 'owner.json': dead });
    const symlink = path.join(tmp, 'sandbox-perf-pool-Decoy4');
    fs.symlinkSync(target, symlink);

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(theirs.every((d) => fs.existsSync(d))).toBe(true);
    const gc = await collectGarbage({ tmpDir: tmp });
    expect(gc.socketDirsRemoved.sort()).toEqual([...theirs].sort());
    expect(gc.socketDirsKept).toBe(4);
    // (Its containers may be failures here: the runner's guardian removes them at the same time.)
    expect(gc.failures.filter((f) => f.startsWith('socket directory') || f.startsWith('listing'))).toEqual([]);
    expect(fs.readdirSync(tmp).sort()).toEqual(
      ['a-target-elsewhere', ...[withExtraFile, noOwner, otherUser, symlink].map((d) => path.basename(d))].sort(),
    );
    expect(fs.readdirSync(target)).toEqual(['owner.json']);
    expect(fs.readdirSync(withExtraFile).sort()).toEqual(['keep.txt', 'owner.json']);
    // gc removed its containers too (another process's sweep may have been first).
    expect(await eventually(() => poolContainersIn(dir).length === 0, 5000)).toBe(true);
  }, 120_000);

  test('SIGKILL of a runner holding a pool: the next start of a pool removes its containers', async () => {
    const { child, dir, exited } = await runners.next;
    expect(poolContainersIn(dir).length).toBeGreaterThanOrEqual(2);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // Nothing cleaned up by the runner; a Docker backend prepared meanwhile by another process
    // (another test file, on a shared engine) may sweep them first, as the next start does here.
    const next = sandboxDir('pool-next');
    dirs.push(next);
    const pool = await createPool('docker-pool', { cwd: next, size: 1, monitor: new SandboxPerfMonitor({ sink: false }) });
    try {
      expect(await eventually(() => poolContainersIn(dir).length === 0, 5000)).toBe(true);
    } finally {
      await pool.close();
    }
  }, 120_000);
});
