// [5_SECURITY_DESIGN-REQ-SEC-RSK-901]
import { EventEmitter } from 'node:events';
import { RunningSummary } from '../stats/RunningSummary';
import { ActiveRuns } from './ActiveRuns';
import { StateDatabase } from '../state/StateDatabase';
import {
  assertKnownKeys,
  assertNumberInRange,
  assertOneOf,
  assertPlainObject,
  assertSandboxId,
  describeValue,
  ValidationError,
} from '../validation';
import { assertRunDetails } from './recordShape';
import { handingOff } from './handOff';
import { ENDED_AT, STARTED_AT, type TimedStopMeta } from './endedAt';
import { logOnce } from '../log';
import { SandboxRunStateError } from './SandboxRunStateError';
import { flushSink } from './sinkFlush';
import {
  BASELINE_BACKEND,
  OUTCOMES,
  type ActiveRun,
  type PerfReport,
  type RecordSink,
  type SandboxPerfEvents,
  type SandboxPerfRecord,
  type SandboxRunDetails,
  type StopMeta,
} from './types';

export { SandboxRunStateError };
export type {
  ActiveRun,
  IsolationOverheadAlert,
  OverheadAlert,
  PerfReport,
  RecordSink,
  SandboxOutcome,
  SandboxPerfEvents,
  SandboxPerfRecord,
  SandboxRunDetails,
  StopMeta,
} from './types';

export const DEFAULT_ALERT_THRESHOLD_MS = 5000;
export const DEFAULT_RETAIN_SAMPLES = 100_000;

export type PerfMonitorOptions = {
  /**
   * A run longer than this (strictly) fires `'overhead-alert'`.
   * @default 5000
   */
  alertThresholdMs?: number;
  /**
   * A run whose `overheadMs` (what isolation added around the command, known when the backend timed
   * the command) exceeds this fires `'isolation-overhead-alert'`. Unlike `alertThresholdMs`, a long
   * command with a cheap sandbox never fires it.
   * @default Infinity (off)
   */
  overheadAlertMs?: number;
  /**
   * A run whose `overheadMs / commandMs` exceeds this fires `'isolation-overhead-alert'` (e.g. `0.5`:
   * the sandbox added more than half the command's own time).
   * @default Infinity (off)
   */
  overheadAlertRatio?: number;
  /**
   * How many recent durations are kept for exact percentiles (8 bytes each).
   * @default 100000
   */
  retainSamples?: number;
  /**
   * Where finished records are handed off; `false` keeps them in memory only.
   * @default StateDatabase (the SQLite file at SANDBOX_PERF_DB, else `$XDG_STATE_HOME/sandbox-perf/<cwd name>-<hash>/state.db`)
   */
  sink?: RecordSink | false;
};

const MONITOR_OPTION_KEYS: readonly (keyof PerfMonitorOptions)[] = [
  'alertThresholdMs',
  'overheadAlertMs',
  'overheadAlertRatio',
  'retainSamples',
  'sink',
];

/**
 * Times sandbox runs. `start`/`stop` cost a Map slot and two monotonic clock reads; statistics are updated in O(1) and persistence is a queue hand-off.
 */
export class SandboxPerfMonitor extends EventEmitter<SandboxPerfEvents> {
  /** sandboxId → monotonic start (performance.now()). */
  private readonly activeRecords = new ActiveRuns();
  private readonly summary: RunningSummary;
  private readonly alertThresholdMs: number;
  private readonly overheadAlertMs: number;
  private readonly overheadAlertRatio: number;
  private readonly sink: RecordSink | false;
  /** The sink is a StateDatabase, which trusts what this monitor hands it (./handOff.ts). */
  private readonly sinkIsHistory: boolean;
  private alertCount = 0;
  private persistErrors = 0;
  private recordObserved = false;
  /** Date.now() − performance.now(), refreshed at most once a second so stop() skips a wall-clock read. */
  private wallOffset = Date.now() - performance.now();
  private wallOffsetAt = performance.now();

  constructor(options: PerfMonitorOptions = {}) {
    super();
    assertPlainObject('options', options);
    assertKnownKeys('options', options, MONITOR_OPTION_KEYS);
    const {
      alertThresholdMs = DEFAULT_ALERT_THRESHOLD_MS,
      overheadAlertMs = Number.POSITIVE_INFINITY,
      overheadAlertRatio = Number.POSITIVE_INFINITY,
      retainSamples = DEFAULT_RETAIN_SAMPLES,
      sink,
    } = options;
    assertNumberInRange('alertThresholdMs', alertThresholdMs, 0);
    for (const [name, value] of [
      ['overheadAlertMs', overheadAlertMs],
      ['overheadAlertRatio', overheadAlertRatio],
    ] as const) {
      if (value !== Number.POSITIVE_INFINITY) assertNumberInRange(name, value, 0);
    }
    this.overheadAlertMs = overheadAlertMs;
    this.overheadAlertRatio = overheadAlertRatio;
    assertNumberInRange('retainSamples', retainSamples, 1, 2 ** 27, true);
    if (
      sink !== undefined &&
      sink !== false &&
      (typeof sink !== 'object' || (sink as unknown) === null || typeof sink.insert !== 'function')
    ) {
      throw new ValidationError(`Expected \`sink\` to be an object with an insert() method or false, got ${describeValue(sink)}`);
    }
    this.alertThresholdMs = alertThresholdMs;
    this.summary = new RunningSummary(retainSamples);
    this.sink = sink === undefined ? StateDatabase : sink;
    this.sinkIsHistory = this.sink === StateDatabase || this.sink instanceof StateDatabase;
    // Emitting 'record' only when someone listens keeps stop() cheap for everybody else.
    const untyped = this as EventEmitter;
    untyped.on('newListener', (event: string | symbol) => {
      if (event === 'record') this.recordObserved = true;
    });
    untyped.on('removeListener', () => {
      this.recordObserved = this.listenerCount('record') > 0;
    });
  }

  private readonly onSinkRejected = (error: unknown): void => {
    this.persistErrors++;
    logOnce(error, 'sandbox-perf: the sink rejected a record (its promise failed); the monitor goes on');
  };

  /** The threshold in force, milliseconds. */
  get thresholdMs(): number {
    return this.alertThresholdMs;
  }

  /** Number of runs started and not yet stopped. */
  get activeCount(): number {
    return this.activeRecords.size;
  }

  start(sandboxId: string): void {
    assertSandboxId(sandboxId);
    if (!this.activeRecords.begin(sandboxId, performance.now())) {
      throw new SandboxRunStateError(
        `Sandbox ${JSON.stringify(sandboxId)} is already running: stop it before starting it again`,
        sandboxId,
      );
    }
  }

  stop(sandboxId: string, meta: StopMeta): SandboxPerfRecord {
    // JavaScript callers can pass anything: meta and outcome are checked as unknown values. A bad meta
    // leaves the run running (so the caller can stop it properly), hence startOf() rather than end().
    // Bad details likewise: a TypeError at the call, the run still running; nothing reaches the sink.
    const isObject = (meta as unknown) !== null && typeof meta === 'object';
    const outcome: unknown = isObject ? meta.outcome : undefined;
    let badDetails: unknown;
    if (isObject && meta.details !== undefined) {
      try {
        assertRunDetails(meta.details);
      } catch (error) {
        badDetails = error;
      }
    }
    const valid = (outcome === 'success' || outcome === 'timeout' || outcome === 'error') && badDetails === undefined;
    const t0 = valid ? this.activeRecords.end(sandboxId) : this.activeRecords.startOf(sandboxId);
    if (t0 === undefined) {
      assertSandboxId(sandboxId);
      throw new SandboxRunStateError(`Sandbox ${JSON.stringify(sandboxId)} is not running: call start() first`, sandboxId);
    }
    if (!valid) {
      assertPlainObject('meta', meta);
      assertOneOf('outcome', outcome, OUTCOMES);
      throw badDetails;
    }
    const now = performance.now();
    // From sandbox-perf's runner: where the backend call ended, and a host run's spawner window (endedAt.ts).
    const endedAt: unknown = (meta as TimedStopMeta)[ENDED_AT];
    const t1 = typeof endedAt === 'number' && endedAt >= t0 && endedAt <= now ? endedAt : now;
    const startedAt: unknown = (meta as TimedStopMeta)[STARTED_AT];
    const start = typeof startedAt === 'number' && startedAt >= t0 && startedAt <= t1 ? startedAt : t0;
    const durationMs = t1 - start;
    // Re-anchor when a second has passed or the clock went backwards (fake timers installed).
    if (now - this.wallOffsetAt > 1000 || now < this.wallOffsetAt) {
      this.wallOffset = Date.now() - now;
      this.wallOffsetAt = now;
    }
    const alertFired = durationMs > this.alertThresholdMs;
    const record: SandboxPerfRecord = {
      sandboxId,
      startTime: Math.round(this.wallOffset + start),
      durationMs,
      outcome,
      alertFired,
    };
    this.summary.add(durationMs);
    if (alertFired) this.alertCount++;
    let details = meta.details;
    // The backend timed its command: what isolation added is the rest of this run's duration.
    const commandMs = details?.commandMs;
    let overheadAlert = false;
    if (typeof commandMs === 'number' && Number.isFinite(commandMs)) {
      const overheadMs = durationMs - commandMs;
      details = { ...details, overheadMs } as SandboxRunDetails;
      // `none` isolates nothing: what it adds is the runner's own cost, not isolation's (issue 22).
      overheadAlert =
        details.backend !== BASELINE_BACKEND &&
        (overheadMs > this.overheadAlertMs || (commandMs > 0 && overheadMs / commandMs > this.overheadAlertRatio));
    }
    // Persist before any listener runs, so that a throwing listener cannot lose the record.
    if (this.sink !== false) {
      if (this.sinkIsHistory) handingOff(record);
      try {
        // `unknown`: a JavaScript sink may return anything, whatever RecordSink says.
        const pending: unknown =
          details === undefined
            ? this.sink.insert('sandbox_perf_records', record)
            : this.sink.insert('sandbox_perf_records', record, details);
        // An async sink: its rejection is this monitor's to catch, or it would kill the process.
        if (typeof pending === 'object' && pending !== null && typeof (pending as PromiseLike<void>).then === 'function') {
          (pending as PromiseLike<void>).then(undefined, this.onSinkRejected);
        }
      } catch (error) {
        this.persistErrors++;
        logOnce(error, 'sandbox-perf: could not hand a record to persistence; the monitor goes on');
      } finally {
        handingOff(undefined);
      }
    }
    if (this.recordObserved) this.emit('record', record, details);
    if (overheadAlert) {
      const d = details as SandboxRunDetails;
      this.emit('isolation-overhead-alert', {
        sandboxId,
        backend: d.backend,
        workload: typeof d.workload === 'string' ? d.workload : null,
        durationMs,
        commandMs: d.commandMs as number,
        overheadMs: d.overheadMs as number,
      });
    }
    if (alertFired) {
      this.emit('overhead-alert', { sandboxId, durationMs, thresholdMs: this.alertThresholdMs });
    }
    return record;
  }

  /** Runs in progress, with their wall-clock start (a copy). */
  getActiveRuns(): ActiveRun[] {
    const now = performance.now();
    const wall = Date.now();
    return Array.from(this.activeRecords.entries(), ([sandboxId, t0]) => ({ sandboxId, startTime: Math.round(wall - (now - t0)) }));
  }

  /** Statistics over every run stopped so far (a fresh object each call). */
  getReport(): PerfReport {
    return { ...this.summary.summary(), alertCount: this.alertCount, persistErrors: this.persistErrors };
  }

  /** Durations of the most recent `retainSamples` runs, oldest first (a copy). */
  getRecentDurations(): Float64Array {
    return this.summary.recent();
  }

  /** Resolves once the records handed so far are written, where the sink can flush (sinkFlush.ts); compare awaits it between runs. */
  flush(options: { timeoutMs?: number } = {}): Promise<boolean> {
    return flushSink(this.sink, options);
  }
}

/** The process-wide monitor, persisting to the default StateDatabase. */
export const sandboxPerfMonitor = new SandboxPerfMonitor();
