import type { SandboxRun } from '../../runners/runInSandbox';

/** One run as `run --json` prints it: the record, what the backend added, and the decomposition. */
export interface RunJson {
  sandboxId: string;
  startTime: number;
  durationMs: number;
  outcome: string;
  alertFired: boolean;
  backend: string;
  workload: string;
  workloadLabel: string;
  /** The command's own time, null when the backend could not time it. */
  commandMs: number | null;
  /** durationMs − commandMs: what isolation added. */
  overheadMs: number | null;
  timer: string | null;
  phases: Record<string, number>;
  exitCode: number | null;
  signal: string | null;
  cpuMs: number | null;
  peakMemoryBytes: number | null;
  error: string | null;
  /** prepare + teardown of a backend created for this run, outside durationMs. */
  setupMs: number | null;
}

export function runToJson(run: SandboxRun): RunJson {
  const { record, result } = run;
  return {
    sandboxId: record.sandboxId,
    startTime: record.startTime,
    durationMs: record.durationMs,
    outcome: record.outcome,
    alertFired: record.alertFired,
    backend: result.backend,
    workload: run.workload.key,
    workloadLabel: run.workload.label,
    commandMs: run.commandMs,
    overheadMs: run.overheadMs,
    timer: result.timer ?? null,
    phases: result.phases,
    exitCode: result.exitCode,
    signal: result.signal,
    cpuMs: result.cpuMs,
    peakMemoryBytes: result.peakMemoryBytes,
    error: result.error,
    setupMs: run.setup === null ? null : run.setup.prepareMs + run.setup.teardownMs,
  };
}
