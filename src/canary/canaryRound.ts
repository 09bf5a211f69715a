import { compareBackends } from '../compare/compareBackends';
import { childCpuTimes } from '../compare/childCpu';
import type { BackendName, SandboxOptions, SandboxResult } from '../runners/types';
import { backendsWhere } from '../runners/backendNames';
import type { SandboxPerfMonitor } from '../sandbox/SandboxPerfMonitor';
import { errorMessage } from '../log';
import { canaryRatio, type CanaryBackendRatio, type CanarySeries } from '../stats/canaryRatio';

/**
 * One canary round: a short interleaved comparison (compareBackends: none and every backend, in
 * turn, `runs` times), every timed run recorded through the monitor with the round's start as
 * `canaryRound`, then per backend the slowdown inside the command against none (canaryRatio.ts)
 * and what the round cost in CPU.
 */

/** Backends whose runs are processes of the daemon, not children of this one: their CPU comes from the run's cgroup (`cpuMs`). */
const CONTAINER_BACKENDS: ReadonlySet<BackendName> = new Set(backendsWhere((entry) => entry.cpu === 'cgroup'));

export interface CanaryRoundOptions {
  /** 1-based number of the round in its canary. */
  round: number;
  command: readonly string[];
  /** `none` first, then the backends compared with it. */
  backends: readonly BackendName[];
  runs: number;
  warmup: number;
  timeoutMs: number;
  sandbox: SandboxOptions;
  monitor: SandboxPerfMonitor;
  signal: AbortSignal;
}

/** CPU time a round used, ms. */
export interface CanaryCpu {
  /** This process (every thread: the canary's bookkeeping, the server and the history writer alike), from process.cpuUsage(). */
  processMs: number;
  /** Children reaped during the round (the host backends' commands, launcher and sandbox tools), from /proc/self/stat; 10 ms ticks. */
  childrenMs: number;
  /** Docker containers' CPU as their cgroups accounted it (the runs' `cpuMs`), where known. */
  containersMs: number;
  totalMs: number;
}

export interface CanaryBackendResult extends CanaryBackendRatio {
  backend: BackendName;
  /** Timed runs of this backend that failed or timed out in this round (left out of the ratio). */
  failures: number;
}

export interface CanaryRound {
  round: number;
  /** Epoch ms the round started: stored with its runs as `canary_round`. */
  startedAt: number;
  wallMs: number;
  cpu: CanaryCpu;
  /** Timed runs per backend (warm-up runs are not recorded). */
  runs: number;
  /** Every backend compared with none, in the order given. */
  backends: CanaryBackendResult[];
  /** The baseline's failed runs; a round whose none runs all failed has no ratio. */
  baselineFailures: number;
  /** Why the round could not run (a backend that cannot prepare, a stop mid-round); null when it ran. */
  error: string | null;
}

function cpuMsOf(times: { user: number; system: number }): number {
  return (times.user + times.system) / 1000;
}

/** Runs one round. Never rejects: a round that could not run comes back with `error` set. */
export async function runCanaryRound(options: CanaryRoundOptions): Promise<CanaryRound> {
  const startedAt = Date.now();
  const started = performance.now();
  const processBefore = process.cpuUsage();
  const childrenBefore = childCpuTimes();
  const series = new Map<BackendName, { durationsMs: (number | null)[]; commandMs: (number | null)[]; failures: number }>(
    options.backends.map((b) => [b, { durationsMs: [], commandMs: [], failures: 0 }]),
  );
  let containersMs = 0;
  const onRun = (backend: BackendName, result: SandboxResult): void => {
    const s = series.get(backend);
    if (s === undefined) return;
    const ok = result.outcome === 'success';
    s.commandMs.push(ok ? (result.commandMs ?? null) : null);
    if (!ok) s.failures++;
    if (CONTAINER_BACKENDS.has(backend) && result.cpuMs !== null) containersMs += result.cpuMs;
  };
  let error: string | null = null;
  try {
    const comparison = await compareBackends({
      backends: options.backends,
      command: options.command,
      runs: options.runs,
      warmup: options.warmup,
      timeoutMs: options.timeoutMs,
      sandbox: options.sandbox,
      monitor: options.monitor,
      canaryRound: startedAt,
      // Its rounds repeat the same command on the same backends: what it resolves to is not asked each time.
      resolve: false,
      signal: options.signal,
      onRun,
    });
    for (const b of comparison.backends) {
      const s = series.get(b.backend);
      if (s) s.durationsMs = b.roundsMs;
    }
  } catch (caught) {
    error = errorMessage(caught);
  }
  const childrenAfter = childCpuTimes();
  const childrenMs =
    childrenBefore === null || childrenAfter === null
      ? 0
      : childrenAfter.userMs + childrenAfter.systemMs - childrenBefore.userMs - childrenBefore.systemMs;
  const processMs = cpuMsOf(process.cpuUsage(processBefore));
  const baseline = series.get('none') as CanarySeries & { failures: number };
  const backends: CanaryBackendResult[] = [];
  if (error === null) {
    for (const [backend, s] of series) {
      if (backend === 'none') continue;
      backends.push({ backend, failures: s.failures, ...canaryRatio(s, baseline) });
    }
  }
  return {
    round: options.round,
    startedAt,
    wallMs: performance.now() - started,
    cpu: { processMs, childrenMs, containersMs, totalMs: processMs + childrenMs + containersMs },
    runs: options.runs,
    backends,
    baselineFailures: baseline.failures,
    error,
  };
}
