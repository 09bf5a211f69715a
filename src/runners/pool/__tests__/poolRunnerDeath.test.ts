import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { dockerMissing, INSTALL_DOCKER } from '../../__tests__/support';
import { createPool } from '../createPool';
import { eventually, poolContainersIn } from './support';

const CHILD = path.join(__dirname, 'fixtures', 'poolChild.js');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts a runner process holding a filled docker-pool in its own directory; resolves once it has served a run. */
async function runnerWithPool(): Promise<{ child: ChildProcess; dir: string; exited: Promise<NodeJS.Signals | null> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-pool-death-'));
  // Containers run as nobody in a root-owned directory: it must let them in.
  fs.chmodSync(dir, 0o777);
  dirs.push(dir);
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ backend: 'docker-pool', options: { cwd: dir, size: 2 } })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_, signal) => resolve(signal)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    child.once('exit', () => reject(new Error(`the runner exited before its pool was ready: ${stderr}`)));
  });
  expect(JSON.parse(line)).toMatchObject({ ran: 'success', error: null });
  return { child, dir, exited };
}

describeWhen('docker-pool when its runner dies', dockerMissing(), INSTALL_DOCKER, () => {
  test('SIGTERM of a runner holding a pool drains it: no container of it is left when it has exited, and it dies by SIGTERM', async () => {
    const { child, dir, exited } = await runnerWithPool();
    expect(poolContainersIn(dir).length).toBeGreaterThanOrEqual(2);
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(poolContainersIn(dir)).toEqual([]);
  }, 120_000);

  test('SIGKILL of a runner holding a pool: the next start of a pool removes its containers', async () => {
    const { child, dir, exited } = await runnerWithPool();
    expect(poolContainersIn(dir).length).toBeGreaterThanOrEqual(2);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // Nothing cleaned up by the runner; a Docker backend prepared meanwhile by another process
    // (another test file, on a shared engine) may sweep them first, as the next start does here.
    const next = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-pool-next-'));
    dirs.push(next);
    const pool = await createPool('docker-pool', { cwd: next, size: 1, monitor: new SandboxPerfMonitor({ sink: false }) });
    try {
      expect(await eventually(() => poolContainersIn(dir).length === 0, 5000)).toBe(true);
    } finally {
      await pool.close();
    }
  }, 120_000);
});
