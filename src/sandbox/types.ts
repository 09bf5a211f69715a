// [5_SECURITY_DESIGN-REQ-SEC-RSK-901]
import type { DurationSummary } from '../stats/RunningSummary';

/** How a sandbox run ended. */
export type SandboxOutcome = 'success' | 'timeout' | 'error';
/**
 * Every outcome, the one list. Its order is a storage encoding (a queued row keeps its outcome as
 * an index into it: src/state/write/RecordBatch.ts): append, never reorder.
 */
export const OUTCOMES: readonly SandboxOutcome[] = ['success', 'timeout', 'error'];

/** One finished sandbox run (the spec's record, unchanged). */
export interface SandboxPerfRecord {
  sandboxId: string;
  /** Wall-clock start, epoch milliseconds. */
  startTime: number;
  /** Measured on a monotonic clock, milliseconds (fractional). */
  durationMs: number;
  outcome: SandboxOutcome;
  alertFired: boolean;
}

/**
 * The backend that runs the command without isolation: the baseline every comparison is against.
 * Its `overheadMs` is the runner's own cost, so it never fires `'isolation-overhead-alert'`.
 */
export const BASELINE_BACKEND = 'none';

/** What a sandbox backend adds to a record; stored in `sandbox_run_details` / `sandbox_run_phases`. */
export interface SandboxRunDetails {
  /** Backend name, e.g. `none`, `unshare`, `bubblewrap`, `docker`, `docker-warm`. */
  backend: string;
  /** Phase name → milliseconds, e.g. `{ create: 84, start: 611, run: 70, remove: 130 }`. */
  phases?: Readonly<Record<string, number>>;
  exitCode?: number | null;
  signal?: string | null;
  /** CPU time (user + system) of the sandboxed command, where the backend can account it. */
  cpuMs?: number | null;
  /** Peak memory of the sandboxed command, where the backend can account it. */
  peakMemoryBytes?: number | null;
  /** Why the run could not start or failed, for `'error'` outcomes. */
  error?: string | null;
  /**
   * What ran: the caller's name for the job, or a key derived from argv and working directory
   * (`cmd-` + 12 hex digits). Backends are compared only within one workload.
   */
  workload?: string | null;
  /** A short readable name for `workload`, e.g. `sleep 0.2`. @default the workload itself */
  workloadLabel?: string | null;
  /** The command's own time, from its process start to its exit, measured next to it (see `timer`). */
  commandMs?: number | null;
  /** `durationMs − commandMs`: what isolation added around the command. Set by the monitor. */
  overheadMs?: number | null;
  /** How `commandMs` was measured: `launcher` (the C timer), `docker-engine`, `node`. */
  timer?: string | null;
  /**
   * Set on the runs of a canary round (startCanary, `serve --canary`): the round's start, epoch
   * ms, the same for every backend of the round. Stored in `sandbox_run_overhead.canary_round`.
   */
  canaryRound?: number | null;
}

/** What `stop()` takes: the spec's `{ outcome }`, plus optional details from a backend. */
export interface StopMeta {
  outcome: SandboxOutcome;
  details?: SandboxRunDetails;
}

/** Payload of the `'overhead-alert'` event. */
export interface OverheadAlert {
  sandboxId: string;
  durationMs: number;
  /** The threshold the duration exceeded. */
  thresholdMs: number;
}

/** Payload of `'isolation-overhead-alert'`: the sandbox's own share of a run was too large. */
export interface IsolationOverheadAlert {
  sandboxId: string;
  backend: string;
  /** The run's workload, null when the caller gave none. */
  workload: string | null;
  durationMs: number;
  commandMs: number;
  /** `durationMs − commandMs`. */
  overheadMs: number;
}

/** The report: the spec's fields (count, meanMs, maxMs, p95Ms, alertCount) and the usual extras. */
export interface PerfReport extends DurationSummary {
  alertCount: number;
  /** Persistence hand-offs that threw (the monitor caught them). */
  persistErrors: number;
}

/** A run that has started and not yet stopped. */
export interface ActiveRun {
  sandboxId: string;
  /** Epoch milliseconds. */
  startTime: number;
}

/** Where finished records go; `StateDatabase` is the default. */
export interface RecordSink {
  /**
   * May return a promise (or any thenable): a rejection is caught like a throw, counted in
   * `persistErrors` and logged once per kind; the monitor never awaits it.
   */
  insert(table: 'sandbox_perf_records', record: SandboxPerfRecord, details?: SandboxRunDetails): void | PromiseLike<void>;
}

/** Events the monitor emits. */
export interface SandboxPerfEvents {
  'overhead-alert': [alert: OverheadAlert];
  /**
   * `overheadMs` over `overheadAlertMs`, or `overheadMs / commandMs` over `overheadAlertRatio`;
   * never for the baseline backend `none`, which isolates nothing.
   */
  'isolation-overhead-alert': [alert: IsolationOverheadAlert];
  record: [record: SandboxPerfRecord, details: SandboxRunDetails | undefined];
}
