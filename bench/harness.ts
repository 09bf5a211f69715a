import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { balancedOrder } from '../src/stats/balancedOrder';

/** The machine a run was measured on; printed first and written into docs/benchmarks.md. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  v8: string;
  platform: string;
  date: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}

export function describeMachine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB RAM, ${m.platform}; Node ${m.node} (V8 ${m.v8}); ${m.date}`;
}

/**
 * Where and when a scenario was measured, with the load average when it started (this machine is
 * shared: the figures move with it). Kept in its section, which `--only` replaces alone.
 */
export function measuredOn(scenario: string): string {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(', ');
  return `Measured by \`npm run bench -- --only ${scenario}\` (or the whole suite) on ${describeMachine(machine())}, load average ${load} at its start.`;
}

/** Robust summary of repeated measurements. `mad` is the median absolute deviation, unscaled. */
export interface Stats {
  median: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  mad: number;
  n: number;
}

function medianOfSorted(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarize(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((s, v) => s + v, 0) / n;
  const stddev = n > 1 ? Math.sqrt(sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const median = medianOfSorted(sorted);
  const mad = medianOfSorted(sorted.map((v) => Math.abs(v - median)).sort((a, b) => a - b));
  return { median, mean, stddev, min: sorted[0] ?? Number.NaN, max: sorted[n - 1] ?? Number.NaN, mad, n };
}

/** Scale that turns a MAD into a σ estimate for normally distributed noise. */
const MAD_TO_SIGMA = 1.4826;

/**
 * Ratio of medians a / b with the relative spreads of both sides propagated (hyperfine's rule,
 * with the MAD-based σ because the samples are summarized by their medians).
 */
export function ratio(a: Stats, b: Stats): { value: number; error: number } {
  if (b.median === 0) return { value: Number.POSITIVE_INFINITY, error: Number.NaN };
  const value = a.median / b.median;
  const ra = a.median === 0 ? 0 : (MAD_TO_SIGMA * a.mad) / a.median;
  const rb = (MAD_TO_SIGMA * b.mad) / b.median;
  return { value, error: value * Math.sqrt(ra * ra + rb * rb) };
}

export function formatRatio(r: { value: number; error: number }): string {
  if (!Number.isFinite(r.value)) return 'n/a';
  return `${r.value.toFixed(2)} ± ${r.error.toFixed(2)}`;
}

export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns < 1e3) return `${ns.toFixed(ns < 10 ? 1 : 0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  const b = Math.abs(bytes);
  if (b < 1024) return `${sign}${b.toFixed(0)} B`;
  if (b < 2 ** 20) return `${sign}${(b / 1024).toFixed(1)} KiB`;
  return `${sign}${(b / 2 ** 20).toFixed(2)} MiB`;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return 'n/a';
  const p = fraction * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(Math.abs(p) < 0.1 ? 3 : 2)} %`;
}

/** Formats 10000 as "10 000", the way the docs write counts. */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: readonly boolean[] = [],
): string {
  const align = header.map((_, i) => (rightAligned[i] ? '---:' : '---'));
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

/** One contender of an interleaved measurement. */
export interface Contender {
  name: string;
  /** The timed work: `ops` operations. */
  run(ops: number): void | Promise<void>;
  /** Untimed work before each sample (adding data, letting a writer thread drain). */
  prepare?(): void | Promise<void>;
}

export interface InterleaveOptions {
  /** Operations per sample; the result is nanoseconds per operation. */
  ops: number;
  /** Samples of each contender discarded before measuring (JIT, caches). */
  warmup: number;
  /** Samples of each contender kept; at least 7. */
  reps: number;
  /**
   * 'rotated' (the default): round r starts at contender r and keeps the cyclic order, so each
   * contender always runs right after the same one. 'balanced': {@link balancedOrder}, so that
   * each runs right after each other one equally often (a whole number of its cycles of rounds).
   */
  order?: 'rotated' | 'balanced';
}

/**
 * Measures every contender in the same process, one sample of each per round, in the order
 * `options.order` gives (cache state and CPU frequency drift are spread over all of them). Returns
 * ns per op, per contender.
 */
export async function measureInterleaved(contenders: readonly Contender[], options: InterleaveOptions): Promise<Map<string, Stats>> {
  const { ops, warmup, reps } = options;
  if (reps < 7) throw new RangeError(`Expected \`reps\` to be an integer >= 7, got \`${reps}\` (number)`);
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const n = contenders.length;
  for (let round = 0; round < warmup + reps; round++) {
    const order = options.order === 'balanced' ? balancedOrder(n, round - warmup) : contenders.map((_, k) => (round + k) % n);
    for (const index of order) {
      const c = contenders[index] as Contender;
      await c.prepare?.();
      const t0 = process.hrtime.bigint();
      const pending = c.run(ops);
      if (pending !== undefined) await pending;
      const elapsed = Number(process.hrtime.bigint() - t0);
      if (round >= warmup) samples.get(c.name)?.push(elapsed / ops);
    }
  }
  return new Map([...samples].map(([name, values]) => [name, summarize(values)]));
}

let gcFunction: (() => void) | undefined;

/**
 * A full GC, with or without --expose-gc: tenures long-lived objects before a measurement
 * and settles the heap before a memory reading.
 */
export function fullGc(): void {
  if (gcFunction === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) {
      gcFunction = exposed;
    } else {
      v8.setFlagsFromString('--expose-gc');
      gcFunction = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFunction();
}

/** A bench target as the issue states it. */
export interface Target {
  name: string;
  /** undefined when the scenario that measures it did not run. */
  value: number | undefined;
  op: '<=' | '>=';
  limit: number;
  unit: string;
  /** Why the value is undefined, or how it was read. */
  note?: string;
  /**
   * Gated without CHECK_TOLERANCE: `--check` fails on any miss. For the comparisons against the
   * tools a user already trusts (issue 27), measured against them in the same run: a ratio or a
   * difference already cancels most of the machine's noise, and "about as fast" is not the claim.
   */
  strict?: boolean;
}

export type Verdict = 'pass' | 'miss' | 'miss > 20 %' | 'n/a';

/** `--check` fails only on a miss by more than 20 %: this machine is shared and noisy. */
export const CHECK_TOLERANCE = 0.2;

export function verdict(t: Target): Verdict {
  if (t.value === undefined || !Number.isFinite(t.value)) return 'n/a';
  if (t.op === '<=') {
    if (t.value <= t.limit) return 'pass';
    return t.value > t.limit * (1 + CHECK_TOLERANCE) ? 'miss > 20 %' : 'miss';
  }
  if (t.value >= t.limit) return 'pass';
  return t.value < t.limit * (1 - CHECK_TOLERANCE) ? 'miss > 20 %' : 'miss';
}

/** True when `--check` fails on this target: a miss by more than the tolerance, or any miss of a strict one. */
export function failsCheck(t: Target): boolean {
  const v = verdict(t);
  return v === 'miss > 20 %' || (t.strict === true && v === 'miss');
}

export function formatTargetValue(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

/** What each scenario file returns to bench/run.ts. */
export interface ScenarioResult {
  title: string;
  /** Tables and notes, in Markdown. */
  markdown: string;
  targets: Target[];
}

/** Deterministic PRNG (mulberry32), so every run measures the same durations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Lognormal durations in ms, the usual shape of process and container run times (a long right tail).
 * Defaults: median 800 ms, σ of the log 0.8, so p95 ≈ 3 s and about 1 % pass the 5 s alert threshold.
 */
export function lognormalDurations(count: number, seed = 7, medianMs = 800, sigma = 0.8): Float64Array {
  const next = prng(seed);
  const mu = Math.log(medianMs);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - next();
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = Math.exp(mu + sigma * r * Math.cos(2 * Math.PI * u2));
    if (i + 1 < count) out[i + 1] = Math.exp(mu + sigma * r * Math.sin(2 * Math.PI * u2));
  }
  return out;
}

/** True when `hyperfine` (Debian package hyperfine) is on the PATH. */
export function hasHyperfine(): boolean {
  try {
    execFileSync('hyperfine', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** How hyperfine runs a command: where its output goes, and what hyperfine itself is started under. */
export interface HyperfineOptions {
  runs: number;
  warmup?: number;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** hyperfine's `--output`: `null` (its default, /dev/null) or `pipe` (a pipe it drains, as the spawner's). */
  output?: 'null' | 'pipe';
  /** An argv hyperfine is started behind (`setsid`, `setpriv --no-new-privs`): its commands inherit what it sets. */
  prefix?: readonly string[];
}

/**
 * Every run's time in ms of `hyperfine -N --runs <runs> [--warmup <warmup>] <command>` in `dir`
 * with `env` (the JSON export is written in `dir`). `command` is an argv joined with spaces, or a
 * command line as hyperfine -N splits it (shell quoting, no shell).
 */
export function hyperfineTimesMs(command: readonly string[] | string, options: HyperfineOptions): number[] {
  const out = path.join(options.dir, 'hyperfine.json');
  const warmup = options.warmup === undefined ? [] : ['--warmup', String(options.warmup)];
  const output = options.output === undefined ? [] : [`--output=${options.output}`];
  const line = typeof command === 'string' ? command : command.join(' ');
  const argv = [...(options.prefix ?? []), 'hyperfine', '-N', '--runs', String(options.runs), ...warmup, ...output];
  execFileSync(argv[0] as string, [...argv.slice(1), '--export-json', out, line], { cwd: options.dir, stdio: 'ignore', env: options.env });
  const parsed = JSON.parse(fs.readFileSync(out, 'utf8')) as { results: { times?: number[] }[] };
  return (parsed.results[0]?.times ?? []).map((seconds) => seconds * 1000);
}

/** The median in ms of hyperfineTimesMs. */
export function hyperfineMedianMs(command: readonly string[] | string, options: HyperfineOptions): number {
  const times = hyperfineTimesMs(command, options);
  return times.length > 0 ? summarize(times).median : Number.NaN;
}
