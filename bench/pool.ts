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
import { IDLE_WINDOW_MS, idleCost } from './poolIdleCost';
import { nodeWakeProbe } from './wakeProbe';
import { describeMachine, formatBytes, machine, markdownTable, type ScenarioResult } from './harness';

/**
 * The pool of fresh sandboxes against what it mitigates, all in one run:
 * 1. per-run overhead over `none` (medians) on `node -e 0` and on the build workload, for docker,
 *    docker-warm, docker-pool, gvisor, gvisor-pool (those available), interleaved by compare;
 * 2. docker-pool's hand-off, p50 and p99: with the pool settled before each run, next to the floor
 *    (a warm Node process's wake-up on a Unix socket, probed just before), and back to back;
 * 3. 200 runs of `true` at concurrency 4: throughput of docker-pool against docker, misses;
 * 4. idle memory (PSS) and CPU of the processes of each idle pooled sandbox, over 5 s.
 * Kept short: the machine is shared.
 */
const CANDIDATES: BackendName[] = ['none', 'docker', 'docker-warm', 'docker-pool', 'gvisor', 'gvisor-pool'];
const NODE_RUNS = 8;
const BUILD_RUNS = 4;
const HANDOFF_RUNS = 30;
/** The issue asks for 200; 100 keep the scenario near 10 min under a load of 15 on 2 cores (it took 23 min with 200 and 40). */
const CONCURRENT_RUNS = 100;
const CONCURRENCY = 4;
const step = (what: string): void => void process.stderr.write(`pool: ${what} (${new Date().toISOString().slice(11, 19)})\n`);

const ms = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** A pool's own cost on the caller's path: acquire, hand-off and result (the command is the command's). */
function ownPhases(phases: readonly { phase: string; medianMs: number }[]): string {
  const own = phases.filter((p) => ['acquire', 'hand-off', 'result'].includes(p.phase));
  if (own.length === 0) return '';
  const sum = own.reduce((total, p) => total + p.medianMs, 0);
  return `${own.map((p) => `${p.phase} ${ms(p.medianMs)}`).join(', ')} (Σ ${ms(sum)})`;
}

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
      ownPhases(b.phases),
    ];
  });
  const table = markdownTable(
    ['backend', 'runs', 'median ms', 'overhead over none, ms (medians)', 'ratio', "a pool's own phases (medians, ms)"],
    rows,
    [false, true, true, true, true, false],
  );
  const savings = (result.mitigations ?? []).map(
    (m) =>
      `- ${m.mitigation} saves ${ms(m.savingMs.difference)} ± ${ms(m.savingMs.error)} ms per run against ${m.against} ` +
      `(${m.savingSecondsPer1000Runs.difference.toFixed(1)} ± ${m.savingSecondsPer1000Runs.error.toFixed(1)} s per 1 000 runs; means)`,
  );
  return { table: [table, '', ...savings].join('\n'), overhead };
}

/** The build workload in `dir` (its tree generated there): its argv. */
export function workload(dir: string): string[] {
  const script = path.resolve(__dirname, '..', '..', 'workload', 'build.js');
  const tree = path.join(dir, 'tree');
  execFileSync(process.execPath, [script, '--generate', tree]);
  fs.copyFileSync(script, path.join(dir, 'build.js'));
  return ['node', path.join(dir, 'build.js'), tree];
}

interface Spread {
  p50: number;
  p99: number;
  max: number;
  runs: number;
}

function spread(values: readonly number[]): Spread {
  return { p50: percentile(values, 0.5), p99: percentile(values, 0.99), max: Math.max(...values), runs: values.length };
}

/**
 * docker-pool's hand-off (host write → agent read, one clock) over `true`: `quiet`, each run after
 * the pool settled (no refill or removal running: the pool keeping up with room to spare), with the
 * floor probed just before each; `back-to-back`, runs one after the other, each one's refill and
 * removal running during the next (a sequential caller), misses counted.
 */
async function handOffFigures(dir: string): Promise<{ quiet: Spread; floor: Spread; busy: Spread; busyMisses: number }> {
  const pool = new SandboxPool('docker-pool', { cwd: dir, pool: { size: 2 } });
  await pool.prepare();
  const wake = await nodeWakeProbe();
  const quiet: number[] = [];
  const floor: number[] = [];
  const busy: number[] = [];
  let busyMisses = 0;
  try {
    for (let i = 0; i < HANDOFF_RUNS; i++) {
      await pool.settled();
      await new Promise((resolve) => setTimeout(resolve, 20));
      floor.push(await wake.probe());
      await new Promise((resolve) => setTimeout(resolve, 20));
      const result = await pool.run(['true']);
      if (result.outcome === 'success') quiet.push(result.phases['hand-off'] as number);
    }
    await pool.settled();
    const before = pool.health().misses;
    for (let i = 0; i < HANDOFF_RUNS; i++) {
      const result = await pool.run(['true']);
      if (result.outcome === 'success') busy.push(result.phases['hand-off'] as number);
    }
    busyMisses = pool.health().misses - before;
  } finally {
    wake.close();
    await pool.teardown();
  }
  return { quiet: spread(quiet), floor: spread(floor), busy: spread(busy), busyMisses };
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
    const load = (): string =>
      os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(', ');
    const loads: string[] = [];
    const timed = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
      step(what);
      const t = performance.now();
      const before = load();
      const value = await run();
      loads.push(`${what}: ${((performance.now() - t) / 1000).toFixed(0)} s, load average ${before} → ${load()}`);
      return value;
    };
    const nodeZero = await timed(`compare ${backends.join(',')} on node -e 0`, () =>
      compareBackends({ backends, command: ['node', '-e', '0'], runs: NODE_RUNS, warmup: 1, sandbox, monitor }),
    );
    const build = await timed('compare on the build workload', () =>
      compareBackends({ backends, command: workload(dir), runs: BUILD_RUNS, warmup: 1, sandbox, monitor }),
    );
    fs.chmodSync(dir, 0o777);
    const a = overheadTable(nodeZero);
    const b = overheadTable(build);
    const handOff = await timed('hand-off', () => handOffFigures(dir));
    const { dockerRate, poolRate, misses } = await timed(`throughput at concurrency ${CONCURRENCY}`, async () => {
      const docker = createBackend('docker', { cwd: dir });
      await docker.prepare();
      const dockerRate = await throughput(docker);
      await docker.teardown();
      const pool = new SandboxPool('docker-pool', { cwd: dir, pool: { size: CONCURRENCY } });
      await pool.prepare();
      await pool.settled();
      const poolRate = await throughput(pool);
      const { misses } = pool.health();
      await pool.teardown();
      return { dockerRate, poolRate, misses };
    });
    const idleNames: ('docker-pool' | 'gvisor-pool')[] = backends.includes('gvisor-pool')
      ? ['docker-pool', 'gvisor-pool']
      : ['docker-pool'];
    const idle = await timed('idle cost', async () => {
      const out = [];
      for (const name of idleNames) out.push(await idleCost(name, dir));
      return out;
    });
    const h = handOff;
    const markdown = [
      `Measured by \`npm run bench -- --only pool\` (bench/pool.ts) on ${describeMachine(machine())}.`,
      '',
      `Medians of interleaved runs (compare, pool size 2, \`settled()\` between runs so that no refill overlaps the`,
      'next backend), measured together; overhead = median − median of `none`.',
      '',
      `\`node -e 0\`, ${NODE_RUNS} runs per backend (1 warm-up):`,
      '',
      a.table,
      '',
      `Build workload (workload/build.js: reads and hashes 2 000 files, then a compute step), ${BUILD_RUNS} runs per backend (1 warm-up):`,
      '',
      b.table,
      '',
      `docker-pool hand-off (host write → the agent's read, one clock), \`true\`, ${h.quiet.runs} runs each (p99 = the value at index ⌈0.99 × runs⌉ − 1 of the sorted runs: with 30 runs, the largest):`,
      '',
      markdownTable(
        ['', 'p50', 'p99', 'max'],
        [
          ['pool settled before each run', `${ms(h.quiet.p50)} ms`, `${ms(h.quiet.p99)} ms`, `${ms(h.quiet.max)} ms`],
          [
            "floor: a warm Node process's wake-up on a Unix socket, just before each of those",
            `${ms(h.floor.p50)} ms`,
            `${ms(h.floor.p99)} ms`,
            `${ms(h.floor.max)} ms`,
          ],
          [
            `back to back (each run's refill and removal during the next; ${h.busyMisses} misses)`,
            `${ms(h.busy.p50)} ms`,
            `${ms(h.busy.p99)} ms`,
            `${ms(h.busy.max)} ms`,
          ],
        ],
        [false, true, true, true],
      ),
      '',
      `Settled hand-off p50 / floor p50: ${(h.quiet.p50 / h.floor.p50).toFixed(2)}×.`,
      '',
      `${CONCURRENT_RUNS} runs of \`true\` at concurrency ${CONCURRENCY}: docker ${dockerRate.runsPerSecond.toFixed(1)} runs/s` +
        `${dockerRate.failures ? ` (${dockerRate.failures} failed)` : ''}, docker-pool (size ${CONCURRENCY}) ` +
        `${poolRate.runsPerSecond.toFixed(1)} runs/s${poolRate.failures ? ` (${poolRate.failures} failed)` : ''}, ` +
        `${(poolRate.runsPerSecond / dockerRate.runsPerSecond).toFixed(2)}× docker's; misses (a run that waited for a sandbox): ${misses} of ${CONCURRENT_RUNS}.`,
      '',
      markdownTable(
        ['idle pooled sandbox', 'memory (PSS of its processes)', `CPU over ${IDLE_WINDOW_MS / 1000} s idle`],
        idle.map((c, i) => [idleNames[i] as string, formatBytes(c.pssBytes), `${c.cpuPercent.toFixed(2)} %`]),
        [false, true, true],
      ),
      '',
      'Steps (wall time, load average 1/5/15 min before → after; the machine is shared):',
      '',
      ...loads.map((l) => `- ${l}`),
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
        { name: 'docker-pool hand-off p99 (pool keeping up)', value: h.quiet.p99, op: '<=', limit: 1, unit: 'ms' },
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
