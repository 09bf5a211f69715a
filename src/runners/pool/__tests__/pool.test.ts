import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDashboardHandler } from '../../../export/dashboard/dashboardHandler';
import { HistoryConnection } from '../../../export/dashboard/HistoryConnection';
import { SandboxPoolCollector } from '../../../export/prometheus/PoolCollector';
import { describeWhen } from '../../../../test/support/e2e';
import {
  dockerMissing,
  EXIT_3_COMMAND,
  exit3Result,
  INSTALL_DOCKER,
  INSTALL_RUNC,
  INSTALL_RUNSC,
  runcMissing,
  runscRuntimeMissing,
  tempRecording,
} from '../../../../test/support/runners';
import { sandboxEnv } from '../../environment';
import { launcherStatus } from '../../host/launcher';
import { createPool, type Pool } from '../createPool';
import type { PoolBackendName } from '../SandboxPool';
import { containerPid, poolContainersIn } from './support';

const recording = tempRecording();
afterAll(async () => {
  await recording.db.close();
  fs.rmSync(recording.dir, { recursive: true, force: true });
});

const CASES: { name: PoolBackendName; missing: string | false; install: string; optional: boolean }[] = [
  { name: 'docker-pool', missing: dockerMissing(), install: INSTALL_DOCKER, optional: false },
  // Debian's runsc does not run everywhere (as for the gvisor backend): optional even in CI.
  { name: 'gvisor-pool', missing: runscRuntimeMissing(), install: INSTALL_RUNSC, optional: true },
  { name: 'runc-pool', missing: runcMissing(), install: INSTALL_RUNC, optional: false },
];

const timed = launcherStatus().path !== null;
/** Counts the processes in /proc (the image has no grep): what a run can see alive. */
const PROCESSES = `node -e "console.log(require('fs').readdirSync('/proc').filter((f) => /^[0-9]+$/.test(f)).length)"`;
/** A background process in a session of its own (the image has no setsid), and a plain one. */
const BACKGROUND = `node -e "require('child_process').spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' }).unref()"; (sleep 1000 &)`;

/** Each available backend's pool, all filling at once (their fills mostly wait on container starts); each block awaits its own. */
const pools = new Map<PoolBackendName, Promise<Pool>>();
beforeAll(() => {
  for (const { name, missing } of CASES) {
    if (missing) continue;
    const pool = createPool(name, { cwd: recording.dir, size: 2, monitor: recording.monitor });
    pool.catch(() => undefined); // awaited (and failed) by its own block
    pools.set(name, pool);
  }
});

for (const { name, missing, install, optional } of CASES) {
  describeWhen(
    `${name} (real engine, fresh container per run)`,
    missing,
    install,
    () => {
      let pool: Pool;
      beforeAll(async () => {
        pool = await (pools.get(name) as Promise<Pool>);
      }, 120_000);
      afterAll(() => pool.close(), 60_000);

      test('runs a real command: stdout, stderr, exit code, the four phases, rows in SQLite', async () => {
        const sandboxId = `${name}-exit-3`;
        const { record, result } = await pool.run([...EXIT_3_COMMAND], { sandboxId });
        expect(result).toMatchObject(exit3Result(name));
        expect(record).toMatchObject({ sandboxId, outcome: 'error' });
        // With the launcher the agent's part splits around the command, as on the other backends.
        const phases = ['acquire', 'hand-off', ...(timed ? ['spawn', 'command', 'exit'] : ['command']), 'result', 'runner'];
        expect(Object.keys(result.phases)).toEqual(phases);
        if (timed) expect(result.phases.command).toBe(result.commandMs);
        // The phases tile the record: `runner` is what the runner spent outside the pool's phases.
        const phaseSum = Object.values(result.phases).reduce((a, b) => a + b, 0);
        expect(Math.abs(phaseSum - record.durationMs)).toBeLessThanOrEqual(0.5);
        await recording.db.flush();
        const rows = recording.rows(sandboxId);
        expect(rows.details).toMatchObject({ backend: name, exit_code: 3 });
        expect(Object.keys(rows.phases).sort()).toEqual([...phases].sort());
      }, 60_000);

      test('the command gets the environment every backend gives, and nothing of the agent', async () => {
        const { result } = await pool.run(['node', '-e', 'process.stdout.write(JSON.stringify(process.env))']);
        expect(result.outcome).toBe('success');
        expect(JSON.parse(result.stdout)).toEqual(sandboxEnv(recording.dir));
      }, 60_000);

      test('a command that does not exist is an error naming it', async () => {
        const { result } = await pool.run(['sandbox-perf-no-such-command']);
        expect(result).toMatchObject({ outcome: 'error', error: 'spawn sandbox-perf-no-such-command ENOENT' });
      }, 60_000);

      // The launcher's wait4 report, read by the agent on a third pipe: CPU time, not wall time, so load does not matter.
      (timed ? test : test.skip)(
        "cpuMs and peakMemoryBytes are the command's own (the launcher's wait4 report)",
        async () => {
          const busy = `const b = Buffer.alloc(64 * 1024 * 1024, 1); const t = process.cpuUsage(); while (process.cpuUsage(t).user < 300000); console.log(b[5])`;
          const sandboxId = `${name}-usage`;
          const { result } = await pool.run(['node', '-e', busy], { sandboxId });
          expect(result).toMatchObject({ outcome: 'success', stdout: '1\n', timer: 'launcher' });
          expect(result.cpuMs).toBeGreaterThanOrEqual(300);
          expect(result.cpuTimes?.userMs).toBeGreaterThanOrEqual(300);
          // The 64 MiB buffer is the command's; the agent's own ~40 MiB is not in its wait4.
          expect(result.peakMemoryBytes).toBeGreaterThanOrEqual(64 * 2 ** 20);
          expect(result.commandMs).toBeGreaterThanOrEqual(300);
          expect(result.commandMs).toBeLessThanOrEqual(result.phases.command as number);
          await recording.db.flush();
          expect(recording.rows(sandboxId).details).toMatchObject({ cpu_ms: result.cpuMs, peak_memory_bytes: result.peakMemoryBytes });
        },
        60_000,
      );

      test('nothing of run k is visible to run k+1: a file in /tmp, a background process, an environment variable', async () => {
        const leave = `echo secret > /tmp/left-by-k; export LEFT_BY_K=1; ${BACKGROUND}; ${PROCESSES}; cat /proc/sys/kernel/hostname`;
        const k = await pool.run(['sh', '-c', leave]);
        expect(k.result.outcome).toBe('success');
        const [kProcesses, kHost] = k.result.stdout.trim().split('\n');
        const look = `cat /tmp/left-by-k 2>/dev/null || echo no-file; echo "env:\${LEFT_BY_K:-unset}"; ${PROCESSES}; cat /proc/sys/kernel/hostname`;
        const next = await pool.run(['sh', '-c', look]);
        const [file, env, processes, host] = next.result.stdout.trim().split('\n');
        expect({ file, env }).toEqual({ file: 'no-file', env: 'env:unset' });
        // Run k saw its agent, sh, node and the two sleeps; run k+1 its agent, sh and node only.
        expect(Number(processes)).toBeLessThan(Number(kProcesses));
        expect(host).not.toBe(kHost);
      }, 60_000);

      test('isolation basics: uid is not 0, no effective capability, the Docker socket and the agent socket unreachable', async () => {
        const script = `
          const fs = require('fs'), net = require('net');
          const capEff = /CapEff:\\s*(\\S+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1];
          const tryConnect = (path) => new Promise((resolve) => {
            const s = net.connect(path).on('connect', () => { s.destroy(); resolve('connected'); }).on('error', (e) => resolve(e.code));
          });
          Promise.all(['/var/run/docker.sock', '/run/docker.sock', '/run/sandbox-perf-agent/agent.sock'].map(tryConnect)).then((codes) =>
            console.log(JSON.stringify({ uid: process.getuid(), capEff, codes })));`;
        const { result } = await pool.run(['node', '-e', script]);
        expect(result.outcome).toBe('success');
        const seen = JSON.parse(result.stdout) as { uid: number; capEff: string; codes: string[] };
        expect(seen.uid).not.toBe(0);
        expect(seen.capEff).toBe('0000000000000000');
        expect(seen.codes).not.toContain('connected');
      }, 60_000);

      test('a timeout kills the command: outcome timeout, the next run is served', async () => {
        const { result } = await pool.run(['sh', '-c', 'sleep 30'], { timeoutMs: 500 });
        expect(result).toMatchObject({ outcome: 'timeout', exitCode: null, signal: 'SIGKILL', error: 'timed out after 500 ms' });
        expect((await pool.run(['true'])).result.outcome).toBe('success');
      }, 60_000);

      test('output beyond maxOutputBytes is cut and says so', async () => {
        const { result } = await pool.run(['node', '-e', 'process.stdout.write("x".repeat(100000))'], { maxOutputBytes: 1000 });
        expect(result).toMatchObject({ outcome: 'success', stdoutTruncated: true });
        expect(result.stdout).toHaveLength(1000);
      }, 60_000);

      test('health counts runs, misses and refills; used containers are removed', async () => {
        const before = pool.health();
        await pool.run(['true']);
        const after = pool.health();
        expect(after.runs).toBe(before.runs + 1);
        expect(after).toMatchObject({ backend: name, size: 2, maxSandboxes: 4, closed: false });
        expect(after.refills).toBeGreaterThanOrEqual(2);
        expect(after.misses).toBeLessThanOrEqual(after.runs);
        expect(after.background.createMs).toEqual(expect.any(Number));
      }, 60_000);

      test('settled() resolves once the background refill and removal are over (compare waits for it between runs)', async () => {
        await pool.run(['true']);
        await pool.backend.settled();
        const health = pool.health();
        expect(health).toMatchObject({ starting: 0, removing: 0 });
        expect(health.idle).toBeGreaterThanOrEqual(2);
      }, 90_000);

      test('the Prometheus collector reads health() at scrape time', async () => {
        const collector = new SandboxPoolCollector({ pools: [pool] });
        try {
          await pool.run(['true']);
          const text = await collector.metrics();
          const { runs, misses } = pool.health();
          expect(text).toContain(`sandbox_pool_runs_total{backend="${name}"} ${runs}`);
          expect(text).toContain(`sandbox_pool_misses_total{backend="${name}"} ${misses}`);
          expect(text).toContain(`sandbox_pool_size{backend="${name}"} 2`);
          expect(text).toMatch(new RegExp(`sandbox_pool_sandboxes\\{backend="${name}",state="idle"\\} \\d`));
          expect(text).toMatch(new RegExp(`sandbox_pool_background_seconds\\{backend="${name}",step="create"\\} [0-9.e-]+`));
        } finally {
          collector.dispose();
        }
      }, 60_000);

      test('the dashboard shows the pool health next to the history', async () => {
        await recording.db.flush();
        const history = new HistoryConnection(recording.db.path);
        const handler = createDashboardHandler(history, { pools: [pool] });
        const server = http.createServer((req, res) => {
          if (!handler(req, res)) res.writeHead(404).end();
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
          const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          const body = (await (await fetch(`${base}/api/summary`)).json()) as { pools: unknown[] };
          expect(body.pools).toEqual([expect.objectContaining({ backend: name, size: 2, runs: pool.health().runs })]);
          expect(await (await fetch(`${base}/`)).text()).toContain('<h2>Sandbox pools</h2>');
        } finally {
          server.close();
          history.close();
        }
      }, 60_000);

      if (name === 'docker-pool') {
        test('a pool closed the moment a run returns leaves no container (the used one is removed after the caller has its result)', async () => {
          const dir = fs.mkdtempSync(`${recording.dir}/closed-`);
          fs.chmodSync(dir, 0o755);
          const quick = await createPool(name, { cwd: dir, size: 1, monitor: recording.monitor });
          const { result } = await quick.run(['true']);
          await quick.close();
          expect(result.outcome).toBe('success');
          expect(poolContainersIn(dir)).toEqual([]);
        }, 90_000);

        test('a dead agent is never handed out: its sandbox is discarded, the run lands on a live one', async () => {
          // Wait for a full pool, then kill every idle agent from the host and run at once.
          const deadline = Date.now() + 30_000;
          while (pool.health().idle < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
          // Only this pool's: gvisor-pool's, filling in the same directory meanwhile, are not its to kill.
          const idle = poolContainersIn(recording.dir, name).filter((id) => containerPid(id) > 0);
          const discardedBefore = pool.health().discarded;
          for (const id of idle) process.kill(containerPid(id), 'SIGKILL');
          const { result } = await pool.run(['cat', '/proc/sys/kernel/hostname']);
          expect(result.outcome).toBe('success');
          expect(idle.map((id) => id.slice(0, 12))).not.toContain(result.stdout.trim());
          expect(pool.health().discarded).toBeGreaterThanOrEqual(discardedBefore + 1);
        }, 90_000);
      }
    },
    { optional },
  );
}
