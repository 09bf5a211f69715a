/*
 * Throughput under load (issue 25.2): many runs at once on one backend, as an orchestrator or a CI
 * fan-out asks for them. Two shapes of load:
 * - closed: `concurrency` runs kept in flight, the next one started as soon as one ends;
 * - open: arrivals on a timer at `rate` per second, each started when it arrives however many are
 *   in flight (a pool that cannot keep up makes them wait, and that wait is the figure).
 * Reported per backend: runs per second, per-run latency (p50/p99), and for a pool the waits for
 * a sandbox (its `acquire` phase, and the misses its health() counted). These runs are not
 * recorded in the history: their latency includes the contention of the runs beside them.
 */
import { backendEntry } from '../runners/backendNames';
import type { BackendName, RunOptions, SandboxBackend, SandboxResult } from '../runners/types';
import { percentile } from '../stats/percentile';
import { assertKnownKeys, assertNumberInRange, assertPlainObject, ValidationError, expectation } from '../validation';

/** What load to put on each backend after the interleaved rounds. */
export interface ThroughputOptions {
  /** Runs kept in flight (closed loop). */
  concurrency?: number;
  /** Arrivals per second on a timer (open stream). */
  rate?: number;
  /** Runs per backend and per shape; default: the timed rounds run, and for the closed loop at least 4 × concurrency. */
  runs?: number;
}

export const MAX_CONCURRENCY = 256;
export const MAX_RATE = 10_000;
export const MAX_LOAD_RUNS = 100_000;

/** p50, p99 and max of a list of milliseconds (the project's nearest-rank rule). */
export interface Spread {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ThroughputFigures {
  backend: BackendName;
  /** Whether every run got a sandbox no earlier run touched (the registry's `freshPerRun`). */
  freshPerRun: boolean;
  mode: 'closed' | 'open';
  /** Runs kept in flight (closed), else null. */
  concurrency: number | null;
  /** Arrivals per second asked (open), else null. */
  rate: number | null;
  /** Runs started. */
  runs: number;
  failures: number;
  firstError: string | null;
  /** From the first start to the last result. */
  wallMs: number;
  /** Successful runs per second of wall time. */
  runsPerSecond: number;
  /** Most runs in flight at once. */
  peakInFlight: number;
  /**
   * Each successful run from its start (closed) or its scheduled arrival (open: the timer's own
   * lateness included) to its result; null without a successful run.
   */
  latency: Spread | null;
  /**
   * A pool's waits for a sandbox: `waited` runs found no idle one (its health()'s misses), and
   * every run's `acquire` phase (0 when one was idle). Null for a backend without a pool: each run
   * starts its own sandbox, whose start is in its latency.
   */
  waits: (Spread & { waited: number; totalMs: number }) | null;
}

export interface ResolvedThroughput {
  concurrency: number | null;
  rate: number | null;
  runs: number | null;
}

/** Validates the `throughput` option in the project's one error shape. */
export function resolveThroughput(value: unknown): ResolvedThroughput | null {
  if (value === undefined) return null;
  assertPlainObject('throughput', value);
  assertKnownKeys('throughput', value, ['concurrency', 'rate', 'runs']);
  const { concurrency, rate, runs } = value as ThroughputOptions;
  if (concurrency !== undefined) assertNumberInRange('throughput.concurrency', concurrency, 1, MAX_CONCURRENCY, true);
  if (rate !== undefined) {
    const what = `a finite number > 0 and <= ${MAX_RATE}`;
    if (typeof rate !== 'number') throw new ValidationError(expectation('throughput.rate', what, rate));
    if (!(rate > 0 && rate <= MAX_RATE)) throw new RangeError(expectation('throughput.rate', what, rate));
  }
  if (runs !== undefined) assertNumberInRange('throughput.runs', runs, 1, MAX_LOAD_RUNS, true);
  if (concurrency === undefined && rate === undefined) {
    throw new ValidationError(expectation('throughput', 'an object with `concurrency` or `rate` (or both)', value));
  }
  return { concurrency: concurrency ?? null, rate: rate ?? null, runs: runs ?? null };
}

interface PoolLike {
  settled?: () => Promise<void>;
  health?: () => { misses: number };
}

/** Waits for every pool's background refill and removals, so that no backend's load starts behind another's. */
export async function settleAll(backends: readonly SandboxBackend[]): Promise<void> {
  for (const backend of backends) await (backend as SandboxBackend & PoolLike).settled?.();
}

function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  return { p50Ms: percentile(values, 0.5), p99Ms: percentile(values, 0.99), maxMs: Math.max(...values) };
}

interface LoadRun {
  command: readonly string[];
  runOptions: RunOptions;
  /** Whether a result counts as a measurement (compare's `measured`, with its ignored exit codes). */
  measured: (result: SandboxResult) => boolean;
  describeFailure: (result: SandboxResult) => string | null;
}

/** One shape of load on one backend (its pool, if any, settled by the caller). */
export async function measureLoad(
  backend: SandboxBackend,
  shape: { mode: 'closed'; concurrency: number } | { mode: 'open'; rate: number },
  runs: number,
  how: LoadRun,
): Promise<ThroughputFigures> {
  const pool = backend as SandboxBackend & PoolLike;
  const missesBefore = pool.health?.().misses ?? 0;
  const latencies: number[] = [];
  const acquires: number[] = [];
  let failures = 0;
  let firstError: string | null = null;
  let inFlight = 0;
  let peakInFlight = 0;
  const one = async (from: number): Promise<void> => {
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    const result = await backend.run(how.command, how.runOptions);
    const end = performance.now();
    inFlight--;
    const acquire = result.phases.acquire;
    if (acquire !== undefined) acquires.push(acquire);
    if (how.measured(result)) latencies.push(end - from);
    else {
      failures++;
      firstError ??= how.describeFailure(result);
    }
  };
  const start = performance.now();
  if (shape.mode === 'closed') {
    let started = 0;
    const lane = async (): Promise<void> => {
      while (started < runs) {
        started++;
        await one(performance.now());
      }
    };
    await Promise.all(Array.from({ length: Math.min(shape.concurrency, runs) }, lane));
  } else {
    const all: Promise<void>[] = [];
    for (let i = 0; i < runs; i++) {
      // Each arrival at its own time on the schedule, not 1/rate after the previous one: no drift.
      const at = start + (i * 1000) / shape.rate;
      const ahead = at - performance.now();
      if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
      all.push(one(at));
    }
    await Promise.all(all);
  }
  const wallMs = performance.now() - start;
  return {
    backend: backend.name,
    freshPerRun: backendEntry(backend.name).freshPerRun,
    mode: shape.mode,
    concurrency: shape.mode === 'closed' ? shape.concurrency : null,
    rate: shape.mode === 'open' ? shape.rate : null,
    runs,
    failures,
    firstError,
    wallMs,
    runsPerSecond: latencies.length / (wallMs / 1000),
    peakInFlight,
    latency: spread(latencies),
    waits:
      pool.health === undefined
        ? null
        : {
            ...(spread(acquires) ?? { p50Ms: 0, p99Ms: 0, maxMs: 0 }),
            waited: pool.health().misses - missesBefore,
            totalMs: acquires.reduce((sum, ms) => sum + ms, 0),
          },
  };
}

/**
 * Every shape asked, on every backend in turn (closed loop first), each after every pool settled.
 * `rounds`: the timed rounds the comparison ran, the default count.
 */
export async function measureThroughput(
  backends: readonly SandboxBackend[],
  load: ResolvedThroughput,
  rounds: number,
  how: LoadRun & { signal?: AbortSignal | undefined },
): Promise<ThroughputFigures[]> {
  const out: ThroughputFigures[] = [];
  for (const backend of backends) {
    if (load.concurrency !== null) {
      how.signal?.throwIfAborted();
      await settleAll(backends);
      const runs = load.runs ?? Math.max(rounds, 4 * load.concurrency);
      out.push(await measureLoad(backend, { mode: 'closed', concurrency: load.concurrency }, runs, how));
    }
    if (load.rate !== null) {
      how.signal?.throwIfAborted();
      await settleAll(backends);
      out.push(await measureLoad(backend, { mode: 'open', rate: load.rate }, load.runs ?? Math.max(rounds, 1), how));
    }
  }
  return out;
}
