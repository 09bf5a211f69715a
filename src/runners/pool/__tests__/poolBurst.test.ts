import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describeWhen } from '../../../../test/support/e2e';
import { INSTALL_RUNC, runcMissing, tempRecording } from '../../../../test/support/runners';
import { startServe } from '../../../export/server/startServe';
import { createPool } from '../createPool';
import { RUNC_BUNDLES, RUNTIME_STATES } from '../../runc/runcCli';
import { eventually } from './support';

const RUNS = 200;
const CONCURRENCY = 16;
const SIZE = 4;

/**
 * What runc-pool keeps of the containers an owner process made (ids `runc-<pid>.<start>.<ns>-<hex>`,
 * runcSource.ts) and that is still there: crun's or runc's state, bundle directories, and cgroup groups
 * (`<controller>/sandbox-perf/<id>`, which the kernel refuses to remove while a process is in one).
 */
function leftBy(pid: number): { containers: string[]; groups: string[] } {
  const prefix = `runc-${pid}.`;
  const ours = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((id) => id.startsWith(prefix)) : []);
  const groups: string[] = [];
  for (const controller of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
    const parent = path.join('/sys/fs/cgroup', controller, 'sandbox-perf');
    groups.push(...ours(parent).map((id) => path.join(parent, id)));
  }
  return { containers: [...new Set([...RUNTIME_STATES.flatMap(ours), ...ours(RUNC_BUNDLES)])].sort(), groups };
}

/*
 * On runc-pool: the pool that is meant for bursts (issue 25: its refill is a `runc run`, without
 * dockerd), and whose refills keep up enough for the burst to take seconds rather than the minute
 * docker-pool's took (each refill a Docker create and start). docker-pool under concurrent runs:
 * poolAutosize.test.ts (32 runs at concurrency 8) and compare's throughput.test.ts.
 */
describeWhen('runc-pool under a burst (real runc)', runcMissing(), INSTALL_RUNC, () => {
  test(`${RUNS} runs at concurrency ${CONCURRENCY} against a pool of ${SIZE}: none lost, nothing left, /metrics answers throughout`, async () => {
    const recording = tempRecording();
    const serve = await startServe({ port: 0, dbPath: recording.db.path, changeIntervalMs: 0 });
    const pool = await createPool('runc-pool', { cwd: recording.dir, size: SIZE, monitor: recording.monitor });
    const scrapes: number[] = [];
    const burst = { on: true };
    try {
      const metricsUrl = serve.metricsUrl;
      if (metricsUrl === null) throw new Error('prom-client is not installed: /metrics cannot be checked');
      const scraping = (async () => {
        while (burst.on) {
          const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(20_000) });
          await response.text();
          scrapes.push(response.status);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      let next = 0;
      const outcomes: string[] = [];
      const hosts: string[] = [];
      const worker = async (): Promise<void> => {
        while (next < RUNS) {
          next++;
          // The host name is the container's own (`sandbox-<random>`): one per fresh container.
          const { result } = await pool.run(['cat', '/proc/sys/kernel/hostname']);
          hosts.push(result.stdout.trim());
          outcomes.push(result.error === null ? result.outcome : `${result.outcome}: ${result.error}`);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      burst.on = false;
      await scraping;
      expect(outcomes).toHaveLength(RUNS);
      expect(outcomes.filter((o) => o !== 'success')).toEqual([]);
      // Every run had a fresh container.
      expect(new Set(hosts).size).toBe(RUNS);
      const health = pool.health();
      expect(health).toMatchObject({ runs: RUNS, waiting: 0, failures: 0, discarded: 0 });
      // The burst outran the refill: most runs waited, which is what this test is about.
      expect(health.misses).toBeGreaterThan(0);
      await pool.backend.settled();
      // While the pool lives it holds its idle sandboxes and nothing else.
      expect(leftBy(process.pid).containers).toHaveLength(pool.health().idle);
    } finally {
      burst.on = false;
      await pool.close();
      await serve.close();
    }
    expect(leftBy(process.pid)).toEqual({ containers: [], groups: [] });
    expect(scrapes.length).toBeGreaterThanOrEqual(3);
    expect(scrapes.filter((status) => status !== 200)).toEqual([]);
    await recording.db.flush();
    const reader = new Database(recording.db.path, { readonly: true });
    try {
      const rows = reader.prepare('SELECT outcome, COUNT(*) AS n FROM sandbox_perf_records GROUP BY outcome').all();
      expect(rows).toEqual([{ outcome: 'success', n: RUNS }]);
    } finally {
      reader.close();
      await recording.db.close();
      fs.rmSync(recording.dir, { recursive: true, force: true });
    }
  }, 600_000);

  test('SIGTERM in the middle of such a burst in a runner process: it drains (nothing left), every run is finished or recorded as failed, it dies by SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-pool-burst-'));
    fs.chmodSync(dir, 0o777); // containers run as nobody in a root-owned directory
    const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-pool-burst-db-')), 'state.db');
    const spec = { backend: 'runc-pool', options: { cwd: dir, size: SIZE }, runs: RUNS, concurrency: CONCURRENCY, db };
    const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'poolBurstChild.js'), JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_, signal) => resolve(signal)));
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const served = (): { id: string; outcome: string; error: string | null }[] =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { id: string; outcome: string; error: string | null });
    try {
      // In the middle: some runs served, the pool busy with the rest.
      expect(await eventually(() => served().length >= 40 || child.exitCode !== null, 300_000)).toBe(true);
      expect(stdout).not.toContain('done');
      // The control: the runner's containers and groups are there to be left behind.
      const held = leftBy(child.pid as number);
      expect(held.containers.length).toBeGreaterThan(0);
      expect(held.groups.length).toBeGreaterThan(0);
      child.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    expect(leftBy(child.pid as number)).toEqual({ containers: [], groups: [] });
    const reader = new Database(db, { readonly: true });
    try {
      const rows = reader.prepare('SELECT sandbox_id AS id, outcome FROM sandbox_perf_records').all() as { id: string; outcome: string }[];
      const recorded = new Map(rows.map((r) => [r.id, r.outcome]));
      // Every run the runner saw return is in the history with its outcome: none lost.
      for (const run of served()) expect([run.id, recorded.get(run.id)]).toEqual([run.id, run.outcome]);
      // Runs that had not returned when the signal came are recorded as failed, or not at all (never as a success they did not have).
      const returned = new Set(served().map((run) => run.id));
      expect(rows.filter((r) => !returned.has(r.id) && r.outcome === 'success')).toEqual([]);
      // The signal came in the middle: some runs succeeded, the ones waiting then and those asked for after failed, naming the closed pool.
      const successes = served().filter((run) => run.outcome === 'success');
      expect(successes.length).toBeGreaterThanOrEqual(40);
      expect(successes.length).toBeLessThan(RUNS);
      const failed = served().filter((run) => run.outcome !== 'success');
      expect(failed.filter((run) => run.outcome !== 'error' || run.error === null)).toEqual([]);
      expect(failed.some((run) => /the pool closed while the run waited/.test(run.error ?? ''))).toBe(true);
    } finally {
      reader.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(path.dirname(db), { recursive: true, force: true });
    }
    expect(stderr).toBe('');
  }, 600_000);
});
