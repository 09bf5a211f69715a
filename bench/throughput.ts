import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureLoad, settleAll, type ThroughputFigures } from '../src/compare/throughput';
import { describeFailure, measured } from '../src/compare/compareBackends';
import { BACKEND_NAMES, backendEntry } from '../src/runners/backendNames';
import { createBackend } from '../src/runners/createBackend';
import { detectBackends } from '../src/runners/detect';
import { agentProgram } from '../src/runners/pool/agentBinary';
import type { BackendName, SandboxBackend } from '../src/runners/types';
import { markdownTable, measuredOn, type ScenarioResult, type Target } from './harness';
import { workload } from './pool';

/**
 * Throughput as an orchestrator sees it (issue 25.2): per backend, a closed loop of N runs kept in
 * flight at N = 1, 4 and 16, on a stream of `true` and of the build workload; runs per second,
 * latency p50/p99 and a pool's waits. Then the open stream: arrivals on a timer at half the gated
 * pool's measured refill rate, 500 runs, its wait p99. Each pool is sized to the concurrency
 * (at least 2), as an orchestrator sizes its pool to its fan-out.
 */
const WANTED = ['none', 'docker', 'docker-pool', 'gvisor', 'gvisor-pool', 'runc-pool'];
const CONCURRENCIES = [1, 4, 16] as const;
/** Runs per cell: `true` twice the largest concurrency, the build workload one wave of it (36 cells, about 10 min at load 2-4). */
const RUNS = { true: 32, build: 16 } as const;
const OPEN_RUNS = 500;
/** The open stream's pool: the size the gates' concurrency (4) asks for. */
const OPEN_POOL_SIZE = 4;
/** Runs of `true` that measure that pool's refill rate, kept at its bound of containers in flight. */
const REFILL_RUNS = 40;
/** The open stream arrives at this fraction of that refill rate. */
const OPEN_FRACTION = 0.5;
/** And at most this rate: 500 runs in at least 10 s. */
const MAX_OPEN_RATE = 50;
/** The gate's pool: the fastest to refill that is here (runc-pool refills without dockerd). */
const GATE_PREFERENCE = ['runc-pool', 'docker-pool'];

type WorkloadName = keyof typeof RUNS;

const step = (what: string): void => void process.stderr.write(`throughput: ${what} (${new Date().toISOString().slice(11, 19)})\n`);
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(', ');
const rate = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

interface Cell {
  figures: ThroughputFigures;
  /** Sandboxes the pool made ready per second during the cell (pools only). */
  refillsPerSecond: number | null;
  load: string;
}

/** How compare counts a run (no exit code ignored) and tells a failure. */
const loadRun = (command: readonly string[]): Parameters<typeof measureLoad>[3] => ({
  command,
  runOptions: { maxOutputBytes: 0 },
  measured: (result) => measured(result, undefined),
  describeFailure,
});

const isPool = (name: string): boolean => backendEntry(name as BackendName).family === 'pool' || name.endsWith('-pool');

type WithHealth = SandboxBackend & { health?: () => { refills: number; runtime: string | null } };

function refills(backend: SandboxBackend): number | null {
  const health = (backend as WithHealth).health;
  return health === undefined ? null : health.call(backend).refills;
}

/** What started each pool's sandboxes in the cells (health().runtime: crun or runc for runc-pool), as the report says it. */
const runtimes = new Map<string, string>();
function noteRuntime(name: string, backend: SandboxBackend): void {
  const runtime = (backend as WithHealth).health?.call(backend).runtime;
  if (runtime) runtimes.set(name, runtime);
}

/** One closed-loop cell: a warm-up run, the pool settled, then `runs` runs with `concurrency` in flight. */
async function cell(name: string, dir: string, command: readonly string[], concurrency: number, runs: number): Promise<Cell> {
  const backend = createBackend(name as BackendName, { cwd: dir, pool: { size: Math.max(2, concurrency) } });
  await backend.prepare();
  noteRuntime(name, backend);
  try {
    await backend.run(command, { maxOutputBytes: 0 });
    await settleAll([backend]);
    const before = refills(backend);
    const figures = await measureLoad(backend, { mode: 'closed', concurrency }, runs, loadRun(command));
    const after = refills(backend);
    const refillsPerSecond = before === null || after === null ? null : (after - before) / (figures.wallMs / 1000);
    return { figures, refillsPerSecond, load: load() };
  } finally {
    await backend.teardown();
  }
}

function guarantee(name: string): string {
  if (name === 'none') return 'none: the host itself';
  return backendEntry(name as BackendName).freshPerRun ? 'yes' : 'no: one sandbox shared by every run';
}

function table(cells: Map<string, Cell>, backends: readonly string[], work: WorkloadName): string {
  const rows = backends.map((b) => {
    const row = [b, guarantee(b)];
    for (const c of CONCURRENCIES) {
      const x = cells.get(`${work} ${b} ${c}`);
      if (!x) {
        row.push('n/a', 'n/a');
        continue;
      }
      const f = x.figures;
      const failed = f.failures > 0 ? ` (${f.failures} failed)` : '';
      row.push(`${rate(f.runsPerSecond)}${failed}`, f.latency ? `${ms(f.latency.p50Ms)} / ${ms(f.latency.p99Ms)}` : 'n/a');
    }
    const waited = CONCURRENCIES.map((c) => cells.get(`${work} ${b} ${c}`)?.figures.waits?.waited ?? '–').join(' / ');
    row.push(isPool(b) ? waited : '–');
    return row;
  });
  return markdownTable(
    [
      'backend',
      'fresh sandbox per run',
      ...CONCURRENCIES.flatMap((c) => [`runs/s at ${c}`, `latency p50 / p99 ms at ${c}`]),
      'runs that waited for a sandbox (1 / 4 / 16)',
    ],
    rows,
    [false, false, true, true, true, true, true, true, true],
  );
}

export async function throughputBench(): Promise<ScenarioResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-bench-throughput-'));
  fs.chmodSync(dir, 0o755);
  const header = measuredOn('throughput');
  try {
    const wanted = WANTED.filter((n) => (BACKEND_NAMES as readonly string[]).includes(n)) as BackendName[];
    const found = await detectBackends({ cwd: dir }, wanted);
    const backends = found.filter((b) => b.available).map((b) => b.backend as string);
    const missing = found.filter((b) => !b.available).map((b) => `- ${b.message}`);
    const notInRegistry = WANTED.filter((n) => !(BACKEND_NAMES as readonly string[]).includes(n)).map(
      (n) => `- ${n}: not a backend of this build`,
    );
    const commands: Record<WorkloadName, readonly string[]> = { true: ['true'], build: workload(dir) };
    fs.chmodSync(dir, 0o755);
    const cells = new Map<string, Cell>();
    const steps: string[] = [];
    const t0 = performance.now();
    for (const work of ['true', 'build'] as const) {
      for (const concurrency of CONCURRENCIES) {
        for (const b of backends) {
          step(`${work} on ${b} at concurrency ${concurrency}`);
          const before = load();
          const t = performance.now();
          const x = await cell(b, dir, commands[work], concurrency, RUNS[work]);
          cells.set(`${work} ${b} ${concurrency}`, x);
          steps.push(
            `${work}, ${b}, ${concurrency} in flight: ${((performance.now() - t) / 1000).toFixed(0)} s, load ${before} → ${x.load}`,
          );
        }
      }
    }
    const gate = GATE_PREFERENCE.find((p) => backends.includes(p));
    const refillRates = backends
      .filter(isPool)
      .map((b) => `${b} ${rate(cells.get(`true ${b} 16`)?.refillsPerSecond ?? Number.NaN)}/s`)
      .join(', ');
    let open: ThroughputFigures | null = null;
    let openRate = Number.NaN;
    let openRefillRate = Number.NaN;
    if (gate !== undefined) {
      step(`open stream on ${gate}: its refill rate, then ${OPEN_RUNS} runs at ${OPEN_FRACTION} × it`);
      const before = load();
      const backend = createBackend(gate as BackendName, { cwd: dir, pool: { size: OPEN_POOL_SIZE } });
      await backend.prepare();
      try {
        // The rate it refills at, measured on this very pool: as many runs in flight as it may hold
        // (maxSandboxes, 2 × size) keep it refilling as fast as it can.
        await settleAll([backend]);
        const refillsBefore = refills(backend) ?? 0;
        const saturated = await measureLoad(backend, { mode: 'closed', concurrency: 2 * OPEN_POOL_SIZE }, REFILL_RUNS, loadRun(['true']));
        openRefillRate = ((refills(backend) ?? 0) - refillsBefore) / (saturated.wallMs / 1000);
        openRate = Math.min(MAX_OPEN_RATE, OPEN_FRACTION * openRefillRate);
        await settleAll([backend]);
        if (openRate > 0) open = await measureLoad(backend, { mode: 'open', rate: openRate }, OPEN_RUNS, loadRun(['true']));
      } finally {
        await backend.teardown();
      }
      steps.push(`open stream, ${gate} (its refill rate, then the stream): load ${before} → ${load()}`);
    }
    const seconds = (performance.now() - t0) / 1000;
    const rps = (work: WorkloadName, b: string, c: number): number => cells.get(`${work} ${b} ${c}`)?.figures.runsPerSecond ?? Number.NaN;
    const targets: Target[] = gate
      ? [
          {
            name: `${gate} throughput / none throughput, build workload, concurrency 4`,
            value: rps('build', gate, 4) / rps('build', 'none', 4),
            op: '>=',
            limit: 0.5,
            unit: '×',
          },
          {
            name: `${gate} throughput / docker throughput, \`true\`, concurrency 4`,
            value: rps('true', gate, 4) / rps('true', 'docker', 4),
            op: '>=',
            limit: 10,
            unit: '×',
            note: `${gate}'s sandboxes started by ${runtimes.get(gate) ?? 'unknown'}`,
          },
          {
            name: `${gate} open stream below its refill rate, ${OPEN_RUNS} runs of \`true\`: wait p99`,
            value: open?.waits?.p99Ms,
            op: '<=',
            limit: 10,
            unit: 'ms',
            note: open
              ? `${rate(openRate)} arrivals/s, ${open.waits?.waited ?? 0} runs waited, ${open.failures} failed`
              : 'no refill rate measured',
          },
        ]
      : [];
    const markdown = [
      header,
      '',
      `Closed loop (N runs kept in flight, the next started as one ends; bench/throughput.ts, compare's \`--concurrency\`): ${RUNS.true} runs of \`true\``,
      `and ${RUNS.build} of the build workload (workload/build.js: reads and hashes 2 000 files, then a compute step) per cell, after`,
      'one warm-up run; each pool sized to the concurrency (at least 2) and full at the start. Runs per second = successful runs',
      '/ wall time of the cell; latency = each run from its start to its result (p50 = the median; p99 by the nearest rank, the',
      'largest run at these counts). One cell per backend at a time; the machine is shared, see the load per step below.',
      `The pools' agent: ${agentProgram().kind === 'c' ? 'the C agent (native/agent.c)' : `the Node agent (${agentProgram().why})`}.` +
        ` What started their sandboxes (health().runtime): ${[...runtimes].map(([b, r]) => `${b} ${r}`).join(', ') || 'no pool here'}.`,
      '',
      '`true`:',
      '',
      table(cells, backends, 'true'),
      '',
      'Build workload:',
      '',
      table(cells, backends, 'build'),
      '',
      `Refill rate (sandboxes made ready per second during the \`true\` cell at 16 in flight, a pool of 16 always refilling): ${refillRates || 'no pool here'}.`,
      '',
      gate === undefined
        ? 'No pool here: the gates were not measured.'
        : open === null
          ? `${gate}: no refill rate measured, so no open stream.`
          : `Open stream (arrivals on a timer, however many are in flight; compare's \`--rate\`) on ${gate}, the gated pool` +
            ` (${GATE_PREFERENCE.join(' if here, else ')}), size ${OPEN_POOL_SIZE}. Its refill rate, measured first on the same pool with` +
            ` ${2 * OPEN_POOL_SIZE} runs of \`true\` in flight (its bound of containers, ${REFILL_RUNS} runs): ${rate(openRefillRate)} sandboxes/s;` +
            ` the stream at ${rate(openRate)} arrivals/s (${OPEN_FRACTION} × that` +
            `${openRate === MAX_OPEN_RATE ? `, capped at ${MAX_OPEN_RATE}/s` : ''}): ${open.runs} runs of \`true\`, ${open.failures} failed,` +
            ` ${open.waits?.waited ?? 0} waited for a sandbox; wait p50 ${ms(open.waits?.p50Ms ?? Number.NaN)} ms, p99 ${ms(open.waits?.p99Ms ?? Number.NaN)} ms,` +
            ` max ${ms(open.waits?.maxMs ?? Number.NaN)} ms; latency p50 ${ms(open.latency?.p50Ms ?? Number.NaN)} ms, p99 ${ms(open.latency?.p99Ms ?? Number.NaN)} ms;` +
            ` peak ${open.peakInFlight} in flight.`,
      '',
      `Steps (wall time, load average 1/5/15 min before → after; ${seconds.toFixed(0)} s in all):`,
      '',
      ...steps.map((s) => `- ${s}`),
      ...(missing.length + notInRegistry.length > 0 ? ['', 'Not measured here:', ...missing, ...notInRegistry] : []),
    ].join('\n');
    return { title: 'Throughput under load', markdown, targets };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
