import os from 'node:os';
import { createBackend } from '../runners/createBackend';
import { recordRun, workloadOf } from '../runners/runInSandbox';
import { assertCommand, DEFAULT_TIMEOUT_MS } from '../runners/options';
import { backendsWhere } from '../runners/backendNames';
import { StderrTail } from './StderrTail';
import type { BackendName, SandboxBackend, SandboxOptions, SandboxResult } from '../runners/types';
import type { SandboxPerfMonitor } from '../sandbox/SandboxPerfMonitor';
import { warmupDone } from './autoWarmup';
import { childCpuTimes, cpuDelta } from './childCpu';
import type { MachineFingerprint } from '../machine/fingerprint';
import type { ComparisonResult } from './comparisonResult';
import { runHook, type Hooks } from './hooks';
import { adaptiveStop, precisions, type AdaptiveLimits, type StopReason } from './precision';
import { summarizeBackends, type BackendRounds } from './summarizeBackends';
import { mitigationSavings } from './mitigations';
import { measureThroughput, resolveThroughput, type ThroughputOptions } from './throughput';
import { resolveCommand } from '../runners/resolveCommand';
import { resolutionDifferences, type CommandResolution } from './resolution';
import { collectBeforeTiming } from './collectBeforeTiming';
import { balancedOrder } from '../stats/balancedOrder';

export type { BackendComparison, PhaseSummary } from './summarizeBackends';
export type { ComparisonResult } from './comparisonResult';

export interface CompareOptions {
  backends: readonly BackendName[];
  command: readonly string[];
  /** Timed rounds (one run per backend each); ignored when `adaptive` is given. */
  runs: number;
  /** Keep running rounds until precise enough (`--runs auto`), within these limits. */
  adaptive?: AdaptiveLimits;
  /** Untimed rounds first (page cache, image layers, JIT of the runner), not recorded; 'auto': see autoWarmup.ts. */
  warmup: number | 'auto';
  timeoutMs?: number;
  sandbox?: SandboxOptions;
  monitor: SandboxPerfMonitor;
  /** Shell hooks run on the host per backend (hooks.ts). */
  hooks?: Hooks;
  /** Recorded with the result (machineFingerprint()). */
  fingerprint?: MachineFingerprint;
  /** After every timed run (its output is not kept: `stdout` is empty, `stderr` holds a failure's tail at most). */
  onRun?: (backend: BackendName, result: SandboxResult) => void;
  /** The output of every run, warm-up included, as it arrives (--show-output); nothing is kept otherwise. */
  onOutput?: (backend: BackendName, stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** After every warm-up run. */
  onWarmupRun?: (backend: BackendName, result: SandboxResult) => void;
  /** After every timed round: its number (1-based) and the worst precision so far (fraction; Infinity before 2 rounds). */
  onRound?: (round: number, worstPrecision: number) => void;
  /**
   * Exit codes counted as measurements rather than failures (hyperfine's `--ignore-failure`): 'all'
   * for every code, or a list. Without it a run that exits non-zero is a failure: left out of the
   * statistics and counted. A run killed by a signal, timed out, or that could not start stays a failure.
   */
  ignoreExitCodes?: 'all' | readonly number[];
  /**
   * Record what the command resolved to in each sandbox (`resolutions`; one untimed, unrecorded run
   * per backend after its prepare). The canary, whose rounds repeat, turns it off. @default true
   */
  resolve?: boolean;
  /** Stamped on every timed run's details (SandboxRunDetails.canaryRound): the canary's round. */
  canaryRound?: number;
  /**
   * Checked before each run: once aborted, no further run starts and the comparison rejects with
   * the signal's reason (after teardown). The run in flight is not interrupted.
   */
  signal?: AbortSignal;
  /**
   * After the rounds, put a load on each backend in turn: `concurrency` runs kept in flight and/or
   * arrivals at `rate` per second (throughput.ts); its figures are the result's `throughput`.
   */
  throughput?: ThroughputOptions;
}

/** How a failed run is told: its error, and the last line it wrote to stderr (what hyperfine users look for). */
export function describeFailure(result: SandboxResult | undefined): string | null {
  if (result === undefined) return null;
  const lastLine = result.stderr.trimEnd().split('\n').pop()?.trim() ?? '';
  if (lastLine === '' || (result.error ?? '').includes(lastLine)) return result.error ?? result.outcome;
  const shown = lastLine.length > 200 ? `${lastLine.slice(0, 200)}…` : lastLine;
  return `${result.error ?? result.outcome}; its stderr ends with: ${shown}`;
}

/** Whether a run counts as a measurement: it succeeded, or it exited with a code the caller ignores. */
export function measured(result: SandboxResult, ignoreExitCodes: CompareOptions['ignoreExitCodes']): boolean {
  if (result.outcome === 'success') return true;
  // Only a run the command ended with its own exit code counts: every backend words that exactly so
  // (describeExit); a signal, a timeout, a memory limit or a failed start (`spawn x ENOENT`) never counts.
  const code = result.exitCode;
  if (ignoreExitCodes === undefined || code === null || result.error !== `exited with code ${code}`) return false;
  return ignoreExitCodes === 'all' || ignoreExitCodes.includes(code);
}

/** Backends whose runs are children of this process: their CPU is read from its reaped children's rusage. */
const HOST_BACKENDS: ReadonlySet<BackendName> = new Set(backendsWhere((entry) => entry.cpu === 'children'));

/** How long a run's row may take to be written before compare stops waiting for the history between runs. */
const RECORD_FLUSH_MS = 2000;

/** A pool's background refill must not overlap the next timed run: wait for it, outside the timing. */
async function settle(backend: SandboxBackend): Promise<void> {
  const pool = backend as SandboxBackend & { settled?: () => Promise<void> };
  if (typeof pool.settled === 'function') await pool.settled();
}

/**
 * Runs the command on every backend, interleaved (one run of each per round, in balancedOrder: each
 * right after each other one equally often) so that drifting load hits every backend alike, round i
 * of each forms a pair, and what a run leaves behind is not always paid by the same backend (in
 * A B C A B C, predict --check's docker always ran after gvisor, none after docker). Summarises each
 * backend against the baseline (`none` when compared, else the first backend). Every timed run is
 * recorded through the monitor; warm-up runs are not.
 */
export async function compareBackends(options: CompareOptions): Promise<ComparisonResult> {
  const { backends: names, command, monitor, canaryRound } = options;
  assertCommand(command);
  const load = resolveThroughput(options.throughput);
  const hooks = options.hooks ?? {};
  const cwd = options.sandbox?.cwd ?? process.cwd();
  const hookOptions = { cwd, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  const startedAt = new Date().toISOString();
  const backends: SandboxBackend[] = [];
  const resolutions: CommandResolution[] = [];
  const rounds: BackendRounds[] = names.map((backend) => ({
    backend,
    roundsMs: [],
    commandMs: [],
    exitCodes: [],
    cpu: [],
    phases: [],
    failures: 0,
    firstError: null,
    prepareMs: 0,
    teardownMs: 0,
    warmupRuns: 0,
  }));
  let setUp = 0;
  let tornDown = false;
  const teardownAll = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    for (let b = 0; b < backends.length; b++) {
      const t = performance.now();
      await (backends[b] as SandboxBackend).teardown().catch(() => undefined);
      (rounds[b] as BackendRounds).teardownMs = performance.now() - t;
    }
  };
  const runOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  try {
    for (let b = 0; b < names.length; b++) {
      options.signal?.throwIfAborted();
      const backend = createBackend(names[b] as BackendName, options.sandbox ?? {});
      const t = performance.now();
      await backend.prepare();
      (rounds[b] as BackendRounds).prepareMs = performance.now() - t;
      backends.push(backend);
      // What the command is in this sandbox (resolveCommand.ts): one untimed run, before the warm-up.
      if (options.resolve !== false) {
        resolutions.push(await resolveCommand(backend, command[0] as string, options.sandbox));
        await settle(backend);
      }
    }
    for (const backend of backends) {
      await runHook('setup', hooks.setup, backend.name, hookOptions);
      setUp++;
    }

    const warm: (number | null)[][] = names.map(() => []);
    for (let i = 0; options.warmup === 'auto' ? !warmupDone(warm) : i < options.warmup; i++) {
      for (let b = 0; b < backends.length; b++) {
        const backend = backends[b] as SandboxBackend;
        options.signal?.throwIfAborted();
        await runHook('prepare', hooks.prepare, backend.name, hookOptions);
        const t = performance.now();
        const onOutput = options.onOutput;
        // Output is not kept (maxOutputBytes 0); --show-output streams it instead.
        const result = await backend.run(command, {
          ...runOptions,
          maxOutputBytes: 0,
          ...(onOutput ? { onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => onOutput(backend.name, stream, chunk) } : {}),
        });
        (warm[b] as (number | null)[]).push(measured(result, options.ignoreExitCodes) ? performance.now() - t : null);
        await settle(backend);
        (rounds[b] as BackendRounds).warmupRuns++;
        options.onWarmupRun?.(backend.name, result);
      }
    }

    // This process's start-up garbage, collected now rather than by V8 beside the first timed runs.
    await collectBeforeTiming();
    const baselineIndex = Math.max(0, names.indexOf('none'));
    const started = performance.now();
    let stoppedBy: StopReason = 'runs';
    let worst = Number.POSITIVE_INFINITY;
    // Given up after one flush that did not complete (a history that cannot be written): runs go on, unwaited.
    let recordsFlushed = true;
    for (let round = 1; ; round++) {
      for (const b of balancedOrder(backends.length, round - 1)) {
        const backend = backends[b] as SandboxBackend;
        const r = rounds[b] as BackendRounds;
        options.signal?.throwIfAborted();
        await runHook('prepare', hooks.prepare, backend.name, hookOptions);
        const before = HOST_BACKENDS.has(backend.name) ? childCpuTimes() : null;
        // Only a bounded tail of stderr is kept, for the first failure's message: memory does not grow with output.
        const tail = new StderrTail();
        const onOutput = options.onOutput;
        const run = {
          ...runOptions,
          maxOutputBytes: 0,
          onOutput: onOutput
            ? (stream: 'stdout' | 'stderr', chunk: Buffer) => {
                tail.listener(stream, chunk);
                onOutput(backend.name, stream, chunk);
              }
            : tail.listener,
        };
        const how = { monitor, workload: workloadOf(command, backend), ...(canaryRound === undefined ? {} : { canaryRound }) };
        const { record, result, commandMs } = await recordRun(backend, command, run, how);
        await settle(backend);
        // The run's row written now, untimed: not by the writer thread beside the next timed run.
        if (recordsFlushed) recordsFlushed = await monitor.flush({ timeoutMs: RECORD_FLUSH_MS });
        const ok = measured(result, options.ignoreExitCodes);
        r.roundsMs.push(ok ? record.durationMs : null);
        (r.commandMs ??= []).push(ok ? commandMs : null);
        r.exitCodes.push(result.exitCode);
        if (ok) {
          // The launcher's wait4 when it timed the run; else what this process's reaped children used.
          r.cpu.push(result.cpuTimes ?? cpuDelta(before, before ? childCpuTimes() : null));
          r.phases.push(result.phases);
        } else {
          r.failures++;
          r.firstError ??= describeFailure({ ...result, stderr: tail.text() });
        }
        options.onRun?.(backend.name, result);
      }
      worst = Math.max(
        ...precisions(
          rounds.map((r) => r.roundsMs),
          baselineIndex,
        ),
      );
      options.onRound?.(round, worst);
      if (options.adaptive) {
        const reason = adaptiveStop(worst, round, performance.now() - started, options.adaptive);
        if (reason) {
          stoppedBy = reason;
          break;
        }
      } else if (round >= options.runs) break;
    }
    const throughput =
      load === null
        ? undefined
        : await measureThroughput(backends, load, rounds[0]?.roundsMs.length ?? 0, {
            command,
            runOptions: { ...runOptions, maxOutputBytes: 0 },
            measured: (result) => measured(result, options.ignoreExitCodes),
            describeFailure,
            signal: options.signal,
          });
    await teardownAll();
    const backendsCompared = summarizeBackends(rounds, baselineIndex);
    return {
      command: [...command],
      runs: rounds[0]?.roundsMs.length ?? 0,
      warmup: warm[0]?.length ?? 0,
      warmupMode: options.warmup === 'auto' ? 'auto' : 'fixed',
      stoppedBy,
      adaptive: options.adaptive ?? null,
      precision: Number.isFinite(worst) ? worst : null,
      baseline: names[baselineIndex] as BackendName,
      startedAt,
      machine: {
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
      },
      fingerprint: options.fingerprint ?? null,
      backends: backendsCompared,
      mitigations: mitigationSavings(backendsCompared),
      ...(throughput ? { throughput } : {}),
      ...(options.resolve === false ? {} : { resolutions, resolutionDifferences: resolutionDifferences(resolutions) }),
    };
  } finally {
    try {
      for (let b = 0; b < setUp; b++) await runHook('cleanup', hooks.cleanup, (backends[b] as SandboxBackend).name, hookOptions);
    } finally {
      await teardownAll();
    }
  }
}
