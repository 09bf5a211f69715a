import { randomUUID } from 'node:crypto';
import { sandboxPerfMonitor, type SandboxPerfMonitor } from '../sandbox/SandboxPerfMonitor';
import type { SandboxPerfRecord, SandboxRunDetails } from '../sandbox/types';
import { ENDED_AT, STARTED_AT, type TimedStopMeta } from '../sandbox/endedAt';
import { timedWindowOf } from './timedWindow';
import { assertKnownKeys, assertPlainObject, assertSandboxId, expectation, ValidationError } from '../validation';
import { createBackend } from './createBackend';
import { assertWorkloadName, commandWorkload, namedWorkload, type Workload } from './workload';
import { assertCommand, resolveRunOptions, RUN_OPTION_KEYS, SANDBOX_OPTION_KEYS } from './options';
import { assertBackendName } from './backendNames';
import type { BackendName, RunOptions, SandboxBackend, SandboxOptions, SandboxResult } from './types';

export interface RunInSandboxOptions extends SandboxOptions, RunOptions {
  /** Where the run is recorded. @default the process-wide `sandboxPerfMonitor` */
  monitor?: SandboxPerfMonitor;
  /** The record's id. @default `<backend>-<random UUID>` */
  sandboxId?: string;
  /**
   * What the job is called in reports; backends are compared only within one workload.
   * @default a key derived from the command and its working directory, labelled with the command line
   */
  workload?: string;
}

export interface SandboxRun {
  record: SandboxPerfRecord;
  result: SandboxResult;
  /** Milliseconds spent in `prepare` and `teardown` when `runInSandbox` created the backend (outside the record). */
  setup: { prepareMs: number; teardownMs: number } | null;
  /** What the run was recorded under. */
  workload: Workload;
  /** The command's own time (`result.commandMs`), null when the backend could not time it. */
  commandMs: number | null;
  /** `record.durationMs − commandMs`: what isolation added; null with `commandMs`. */
  overheadMs: number | null;
}

function isBackend(value: unknown): value is SandboxBackend {
  return typeof value === 'object' && value !== null && typeof (value as SandboxBackend).run === 'function';
}

/** What the monitor stores next to the record (sandbox_run_details, sandbox_run_phases). */
export function toRunDetails(result: SandboxResult, workload?: Workload, canaryRound?: number): SandboxRunDetails {
  const details: SandboxRunDetails = {
    backend: result.backend,
    phases: result.phases,
    exitCode: result.exitCode,
    signal: result.signal,
    cpuMs: result.cpuMs,
    peakMemoryBytes: result.peakMemoryBytes,
    error: result.error,
  };
  if (result.commandMs !== undefined && result.commandMs !== null) {
    details.commandMs = result.commandMs;
    details.timer = result.timer ?? null;
  }
  if (workload !== undefined) {
    details.workload = workload.key;
    details.workloadLabel = workload.label;
  }
  if (canaryRound !== undefined) details.canaryRound = canaryRound;
  return details;
}

/** The cwd a backend object runs commands in, when it says (every built-in backend does). */
function cwdOf(backend: SandboxBackend): string {
  const options: unknown = (backend as { options?: unknown }).options;
  const cwd: unknown = typeof options === 'object' && options !== null ? (options as { cwd?: unknown }).cwd : undefined;
  return typeof cwd === 'string' ? cwd : process.cwd();
}

/** Every key runInSandbox takes: a misspelt one (`tiemout`) is a TypeError naming the nearest. */
const RUN_IN_SANDBOX_KEYS: readonly string[] = ['monitor', 'sandboxId', 'workload', ...RUN_OPTION_KEYS, ...SANDBOX_OPTION_KEYS];

/**
 * Runs `command` in a sandbox and records it through the monitor. `backend` is a name (a backend
 * is created, prepared, used once and torn down) or a backend already prepared (reused as is; pass
 * only run options then). The record covers the run alone, so it means the same either way;
 * a one-shot call reports its prepare/teardown time in `setup`. A backend that cannot run here
 * throws BackendUnavailableError before anything is recorded.
 */
export async function runInSandbox(
  backend: BackendName | SandboxBackend,
  command: readonly string[],
  options: RunInSandboxOptions = {},
): Promise<SandboxRun> {
  assertPlainObject('options', options);
  assertKnownKeys('options', options, RUN_IN_SANDBOX_KEYS);
  const { monitor = sandboxPerfMonitor, sandboxId, workload: workloadName, ...rest } = options;
  const runOptions: RunOptions = {};
  const sandboxOptions: SandboxOptions = {};
  for (const key of RUN_OPTION_KEYS) if (rest[key] !== undefined) (runOptions as Record<string, unknown>)[key] = rest[key];
  for (const key of SANDBOX_OPTION_KEYS) if (rest[key] !== undefined) (sandboxOptions as Record<string, unknown>)[key] = rest[key];
  if (!isBackend(backend)) assertBackendName(backend);
  assertCommand(command);
  resolveRunOptions(runOptions);
  if (sandboxId !== undefined) assertSandboxId(sandboxId);
  if (workloadName !== undefined) assertWorkloadName(workloadName);
  if (typeof monitor !== 'object' || (monitor as unknown) === null || typeof monitor.start !== 'function') {
    throw new ValidationError(expectation('monitor', 'a SandboxPerfMonitor', monitor));
  }

  let owned: SandboxBackend | undefined;
  let sandbox: SandboxBackend;
  if (isBackend(backend)) {
    const given = Object.keys(sandboxOptions);
    if (given.length > 0) {
      throw new ValidationError(
        expectation(
          `options.${given[0]}`,
          'unset when a backend object is passed (set it when creating the backend)',
          sandboxOptions[given[0] as keyof SandboxOptions],
        ),
      );
    }
    sandbox = backend;
  } else {
    sandbox = owned = createBackend(backend, sandboxOptions);
  }

  const workload = workloadName !== undefined ? namedWorkload(workloadName) : workloadOf(command, sandbox);
  let t = performance.now();
  if (owned) await owned.prepare();
  const prepareMs = performance.now() - t;
  let run: SandboxRun;
  try {
    run = await recordRun(sandbox, command, runOptions, { monitor, workload, ...(sandboxId === undefined ? {} : { sandboxId }) });
  } finally {
    if (owned) {
      t = performance.now();
      await owned.teardown();
    }
  }
  if (owned) run.setup = { prepareMs, teardownMs: performance.now() - t };
  return run;
}

/** The workload a command run on `sandbox` is recorded under when the caller names none. */
export function workloadOf(command: readonly string[], sandbox: SandboxBackend): Workload {
  return commandWorkload(command, cwdOf(sandbox));
}

/** How recordRun records: where, under which id and workload, and for a canary, its round. */
export interface RecordHow {
  monitor: SandboxPerfMonitor;
  workload: Workload;
  /** @default `<backend>-<random UUID>` */
  sandboxId?: string;
  /** The canary round the run belongs to (SandboxRunDetails.canaryRound). */
  canaryRound?: number;
}

/**
 * One run on a prepared backend, recorded through the monitor: what runInSandbox does once its
 * options are checked. compareBackends and the canary call it directly with checked arguments.
 */
export async function recordRun(
  sandbox: SandboxBackend,
  command: readonly string[],
  runOptions: RunOptions,
  how: RecordHow,
): Promise<SandboxRun> {
  const { monitor, workload, canaryRound } = how;
  const id = how.sandboxId ?? `${sandbox.name}-${randomUUID()}`;
  monitor.start(id);
  const started = performance.now();
  let result: SandboxResult;
  try {
    result = await sandbox.run(command, runOptions);
  } catch (error) {
    monitor.stop(id, {
      outcome: 'error',
      details: {
        backend: sandbox.name,
        error: error instanceof Error ? error.message : String(error),
        workload: workload.key,
        workloadLabel: workload.label,
        ...(canaryRound === undefined ? {} : { canaryRound }),
      },
    });
    throw error;
  }
  const ended = performance.now();
  // A host run's record is the spawner's window (timedWindow.ts); any other run's, the backend call:
  // from `started`, not from monitor.start's own clock read, so that the phases (with `runner`) tile
  // the record exactly. A pause between the two (a collection, the history's first open) made a
  // docker-pool record 1.3 ms longer than its phases in CI (pool.test, 2026-12-06).
  const window = timedWindowOf(result, started, ended);
  result = withRunnerPhase(result, window ? window.endedAt - window.startedAt : ended - started);
  const meta: TimedStopMeta = {
    outcome: result.outcome,
    details: toRunDetails(result, workload, canaryRound),
    [ENDED_AT]: window?.endedAt ?? ended,
    [STARTED_AT]: window?.startedAt ?? started,
  };
  const record = monitor.stop(id, meta);
  const commandMs = result.commandMs ?? null;
  return { record, result, setup: null, workload, commandMs, overheadMs: commandMs === null ? null : record.durationMs - commandMs };
}

/**
 * Adds phase `runner`: the part of the backend call no backend phase covers (Node's own bookkeeping
 * between phases: building the exec, reading cgroup counters and the launcher's report, awaiting
 * promises), so that the phases tile the record and `overheadMs` is the sum of the phases other
 * than `command` to within the microseconds monitor.start/stop take. Never negative. The result is
 * a copy; a result without a phases object, or whose backend names a phase `runner` itself, is
 * returned as it is (a JavaScript backend may return anything: the monitor then judges it).
 */
export function withRunnerPhase(result: SandboxResult, elapsedMs: number): SandboxResult {
  try {
    const phases: unknown = result.phases;
    if (typeof phases !== 'object' || phases === null || Array.isArray(phases) || 'runner' in phases) return result;
    let covered = 0;
    for (const ms of Object.values(phases as Record<string, unknown>)) if (typeof ms === 'number' && Number.isFinite(ms)) covered += ms;
    return { ...result, phases: { ...(phases as Record<string, number>), runner: Math.max(0, elapsedMs - covered) } };
  } catch {
    // A throwing getter: the record is made from the result as the backend gave it.
    return result;
  }
}
