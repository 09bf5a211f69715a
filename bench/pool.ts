import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { compareBackends, type ComparisonResult } from '../src/compare/compareBackends';
import { createBackend } from '../src/runners/createBackend';
import { detectBackends } from '../src/runners/detect';
import { SandboxPool } from '../src/runners/pool/SandboxPool';
import type { BackendName, SandboxBackend } from '../src/runners/types';
import { SandboxPerfMonitor } from '../src/sandbox/SandboxPerfMonitor';
import { percentile } from '../src/stats/percentile';
import { formatBytes, markdownTable, summarize, type ScenarioResult } from './harness';

/**
 * The pool of fresh sandboxes against what it mitigates, all in one run:
 * 1. per-run overhead over `none` (medians) on `node -e 0` and on the build workload, for docker,
 *    docker-warm, docker-pool, gvisor, gvisor-pool (those available), interleaved by compare;
 * 2. docker-pool's hand-off, p50 and p99, over runs where the pool keeps up (each run waits until
 *    the pool is full again, so no run waits for a sandbox);
 * 3. 200 runs of `true` at concurrency 4: throughput of docker-pool against docker, misses;
 * 4. idle memory (PSS) and CPU of the processes of each idle pooled sandbox, over 5 s.
 * Kept short: the machine is shared.
 */
const CANDIDATES: BackendName[] = ['none', 'docker', 'docker-warm', 'docker-pool', 'gvisor', 'gvisor-pool'];
const HANDOFF_RUNS = 40;
const CONCURRENT_RUNS = 200;
const CONCURRENCY = 4;
const IDLE_WINDOW_MS = 3000;
const step = (what: string): void => void process.stderr.write(`pool: ${what} (${new Date().toISOString().slice(11, 19)})\n`);

const ms = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

function overheadTable(result: ComparisonResult): { table: string; overhead: Map<string, number> } {
  const none = result.backends.find((b) => b.backend === 'none');
  const overhead = new Map<string, number>();
  const rows = result.backends.map((b) => {
    const over = none && b.summary.count > 0 ? b.summary.medianMs - none.summary.medianMs : Number.NaN;
    overhead.set(b.backend, over);
    const ratio = none && none.summary.medianMs > 0 ? b.summary.medianMs / none.summary.medianMs : Number.NaN;
    return [
      b.backend,
      `${b.summary.count}${b.failures > 0 ? ` (+${b.failures} failed)` : ''}`,
      ms(b.summary.medianMs),
      b.backend === 'none' ? 'baseline' : `${over >= 0 ? '+' : ''}${ms(over)}`,
      b.backend === 'none' ? '1.00×' : `${ratio.toFixed(2)}×`,
    ];
  });
  const table = markdownTable(['backend', 'runs', 'median ms', 'overhead over none, ms (medians)', 'ratio'], rows, [
    false,
    true,
    true,
    true,
    true,
  ]);
  const savings = (result.mitigations ?? []).map(
    (m) =>
      `- ${m.mitigation} saves ${ms(m.savingMs.difference)} ± ${ms(m.savingMs.error)} ms per run against ${m.against} ` +
      `(${m.savingSecondsPer1000Runs.difference.toFixed(1)} ± ${m.savingSecondsPer1000Runs.error.toFixed(1)} s per 1 000 runs; means)`,
  );
  return { table: [table, '', ...savings].join('\n'), overhead };
}

function workload(dir: string): string[] {
  const script = path.resolve(__dirname, '..', '..', 'workload', 'build.js');
  const tree = path.join(dir, 'tree');
  execFileSync(process.execPath, [script, '--generate', tree]);
  fs.copyFileSync(script, path.join(dir, 'build.js'));
  return ['node', path.join(dir, 'build.js'), tree];
}

async function waitFull(pool: SandboxPool): Promise<void> {
  while (pool.health().idle < pool.poolOptions.size) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function handOffFigures(dir: string): Promise<{ p50: number; p99: number; max: number; runs: number }> {
  const pool = new SandboxPool('docker-pool', { cwd: dir, pool: { size: 2 } });
  await pool.prepare();
  const handOffs: number[] = [];
  try {
    for (let i = 0; i < HANDOFF_RUNS; i++) {
      await waitFull(pool);
      const result = await pool.run(['node', '-e', '0']);
      if (result.outcome === 'success') handOffs.push(result.phases['hand-off'] as number);
    }
  } finally {
    await pool.teardown();
  }
  return { p50: percentile(handOffs, 0.5), p99: percentile(handOffs, 0.99), max: Math.max(...handOffs), runs: handOffs.length };
}

async function throughput(backend: SandboxBackend): Promise<{ runsPerSecond: number; failures: number }> {
  let next = 0;
  let failures = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT_RUNS) {
        next++;
        if ((await backend.run(['true'])).outcome !== 'success') failures++;
      }
    }),
  );
  return { runsPerSecond: CONCURRENT_RUNS / ((performance.now() - t) / 1000), failures };
}

/** PSS and CPU ticks of a container's processes: its init's parent is the shim; everything below the shim. */
function containerProcesses(id: string): number[] {
  const pid = Number(execFileSync('docker', ['inspect', '--format', '{{.State.Pid}}', id], { encoding: 'utf8' }).trim());
  const shim = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Exited meanwhile.
    }
  }
  const all: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      all.push(c);
      walk(c);
    }
  };
  walk(shim);
  return all;
}

function pssBytes(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Exited meanwhile.
    }
  }
  return kb * 1024;
}

function cpuTicks(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = (fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Exited meanwhile.
    }
  }
  return ticks;
}

async function idleCost(name: 'docker-pool' | 'gvisor-pool', dir: string): Promise<{ pssBytes: number; cpuPercent: number }> {
  const pool = new SandboxPool(name, { cwd: dir, pool: { size: 2 } });
  await pool.prepare();
  try {
    const ids = execFileSync('docker', ['ps', '-q', '--no-trunc', '--filter', `label=sandbox-perf.pool=${name}`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    const mine = ids.filter(
      (id) => execFileSync('docker', ['inspect', '--format', '{{.Config.WorkingDir}}', id], { encoding: 'utf8' }).trim() === dir,
    );
    const pids = mine.map(containerProcesses);
    const before = pids.map(cpuTicks);
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const ticksPerSecond = 100;
    const cpu = pids.map((p, i) => ((cpuTicks(p) - (before[i] as number)) / ticksPerSecond / (IDLE_WINDOW_MS / 1000)) * 100);
    return { pssBytes: summarize(pids.map(pssBytes)).median, cpuPercent: summarize(cpu).median };
  } finally {
    await pool.teardown();
  }
}

export async function poolBench(): Promise<ScenarioResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-bench-pool-'));
  // Containers run as nobody in a root-owned directory: it must let them in.
  fs.chmodSync(dir, 0o777);
  const monitor = new SandboxPerfMonitor({ sink: false });
  try {
    const found = await detectBackends({ cwd: dir }, CANDIDATES);
    const backends = found.filter((b) => b.available).map((b) => b.backend);
    const missing = found.filter((b) => !b.available).map((b) => `- ${b.message}`);
    if (!backends.includes('docker-pool')) {
      return { title: 'Sandbox pool', markdown: ['No Docker engine here: the pool was not measured.', ...missing].join('\n'), targets: [] };
    }
    const sandbox = { cwd: dir, pool: { size: 2 } };
    step(`compare ${backends.join(',')} on node -e 0`);
    const nodeZero = await compareBackends({ backends, command: ['node', '-e', '0'], runs: 8, warmup: 1, sandbox, monitor });
    step('compare on the build workload');
    const build = await compareBackends({ backends, command: workload(dir), runs: 4, warmup: 1, sandbox, monitor });
    fs.chmodSync(dir, 0o777);
    const a = overheadTable(nodeZero);
    const b = overheadTable(build);
    step('hand-off');
    const handOff = await handOffFigures(dir);
    step('throughput');

    const docker = createBackend('docker', { cwd: dir });
    await docker.prepare();
    const dockerRate = await throughput(docker);
    await docker.teardown();
    const pool = new SandboxPool('docker-pool', { cwd: dir, pool: { size: CONCURRENCY } });
    await pool.prepare();
    const poolRate = await throughput(pool);
    const { misses } = pool.health();
    await pool.teardown();

    step('idle cost');
    const idle = [await idleCost('docker-pool', dir)];
    const idleNames = ['docker-pool'];
    if (backends.includes('gvisor-pool')) {
      idle.push(await idleCost('gvisor-pool', dir));
      idleNames.push('gvisor-pool');
    }
    const markdown = [
      `Medians of interleaved runs (compare, pool size 2), measured together; overhead = median − median of \`none\`.`,
      '',
      '`node -e 0`, 8 runs per backend:',
      '',
      a.table,
      '',
      'Build workload (workload/build.js), 4 runs per backend:',
      '',
      b.table,
      '',
      `docker-pool hand-off (host write → agent read, one clock) over ${handOff.runs} runs with the pool full: ` +
        `p50 ${ms(handOff.p50)} ms, p99 ${ms(handOff.p99)} ms, max ${ms(handOff.max)} ms.`,
      '',
      `${CONCURRENT_RUNS} runs of \`true\` at concurrency ${CONCURRENCY}: docker ${dockerRate.runsPerSecond.toFixed(1)} runs/s` +
        `${dockerRate.failures ? ` (${dockerRate.failures} failed)` : ''}, docker-pool (size ${CONCURRENCY}) ` +
        `${poolRate.runsPerSecond.toFixed(1)} runs/s${poolRate.failures ? ` (${poolRate.failures} failed)` : ''}, ` +
        `${(poolRate.runsPerSecond / dockerRate.runsPerSecond).toFixed(2)}× docker's; misses: ${misses} of ${CONCURRENT_RUNS}.`,
      '',
      markdownTable(
        ['idle pooled sandbox', 'memory (PSS of its processes)', `CPU over ${IDLE_WINDOW_MS / 1000} s idle`],
        idle.map((c, i) => [idleNames[i] as string, formatBytes(c.pssBytes), `${c.cpuPercent.toFixed(2)} %`]),
        [false, true, true],
      ),
      ...(missing.length ? ['', 'Not measured here:', ...missing] : []),
    ].join('\n');
    return {
      title: 'Sandbox pool',
      markdown,
      targets: [
        {
          name: 'docker-pool overhead over none, `node -e 0` (medians)',
          value: a.overhead.get('docker-pool'),
          op: '<=',
          limit: 5,
          unit: 'ms',
        },
        { name: 'docker-pool hand-off p99 (pool keeping up)', value: handOff.p99, op: '<=', limit: 1, unit: 'ms' },
        {
          name: 'docker-pool throughput / docker throughput, concurrency 4',
          value: poolRate.runsPerSecond / dockerRate.runsPerSecond,
          op: '>=',
          limit: 1,
          unit: '×',
        },
      ],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
