import type { SandboxPerfRecord, SandboxRunDetails } from '../../sandbox/types';
import { expectation, ValidationError } from '../../validation';
import { RUN_DURATION_BUCKETS_SECONDS } from '../buckets';
import { MonitorTap, type MonitorTapOptions, type TappedRun } from '../MonitorTap';
import { OVERHEAD_BUCKETS_SECONDS } from '../prometheus/overheadHistogram';
import type { MonitorSource } from '../sources';
import type { IsolationSource } from '../isolationSource';
import { observeIsolation } from './isolationGauges';
import type { BatchObservableCallbackLike, CounterLike, HistogramLike, MeterAttributes, MeterLike, ObservableLike } from './MeterLike';

/** Instrument and attribute names, in OpenTelemetry's dotted style. */
export const OTEL_INSTRUMENT_NAMES = Object.freeze({
  runDuration: 'sandbox.run.duration',
  runs: 'sandbox.runs',
  overheadAlerts: 'sandbox.overhead_alerts',
  activeRuns: 'sandbox.active_runs',
  overhead: 'sandbox.overhead',
} as const);
export const OTEL_ATTRIBUTES = Object.freeze({
  outcome: 'sandbox.outcome',
  backend: 'sandbox.backend',
  workload: 'sandbox.workload',
  workloadLabel: 'sandbox.workload.label',
} as const);
export const OTEL_METER_NAME = 'sandbox-perf';

export interface SandboxPerfOtelBridgeOptions extends MonitorTapOptions {
  /**
   * The Meter to record into.
   * @default metrics.getMeter('sandbox-perf') from @opentelemetry/api: the globally registered
   * MeterProvider, or the API's no-op one when no SDK is registered (then nothing is recorded).
   * Typed by its shape (MeterLike), so these declarations compile without @opentelemetry/api.
   */
  meter?: MeterLike;
  /**
   * The tap to record from, shared with a SandboxPerfCollector so both export the same label
   * values (then `monitor`, `maxBackends`, `maxWorkloads`… belong to the tap). dispose() leaves a
   * shared tap alone.
   * @default a tap of its own, built from these options
   */
  tap?: MonitorTap;
  /**
   * Where to read the whole cost of isolation per workload and backend (a SummaryWorker's
   * `isolation()` over a history, or any function returning such series): observed at collection
   * time as the `sandbox.isolation.*` gauges (isolationGauges.ts). Omitted → no such gauges.
   */
  isolation?: IsolationSource;
}

type Outcome = SandboxPerfRecord['outcome'];

/** @opentelemetry/api is an optional peer dependency: loaded only when no meter is passed in. */
function globalMeter(): MeterLike {
  let api: typeof import('@opentelemetry/api');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional peer dependency, loaded on demand
    api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND') {
      throw new Error(
        'The OpenTelemetry bridge needs the peer dependency @opentelemetry/api: run `npm install @opentelemetry/api` ' +
          '(and an SDK such as @opentelemetry/sdk-metrics to export anything), or pass `meter`',
      );
    }
    throw error;
  }
  return api.metrics.getMeter(OTEL_METER_NAME);
}

/**
 * Records monitor records into OpenTelemetry instruments:
 * `sandbox.run.duration` (histogram, s), `sandbox.runs` and `sandbox.overhead_alerts`
 * (counters), `sandbox.overhead` (histogram of `overheadMs`, s, for runs whose backend timed the
 * command), `sandbox.active_runs` (observable up-down counter, read at collection time), with the
 * attributes `sandbox.outcome`, `sandbox.backend`, and on runs and overhead `sandbox.workload`
 * (the key) and `sandbox.workload.label`, bounded as for Prometheus by the MonitorTap.
 *
 * Attribute objects are built once per backend and workload, so a record costs a Map lookup and
 * two to four instrument calls. Without an SDK the API hands out no-op instruments: recording
 * does nothing.
 */
export class SandboxPerfOtelBridge {
  readonly tap: MonitorTap;
  private readonly ownsTap: boolean;
  private readonly unsubscribe: () => void;
  private readonly duration: HistogramLike;
  private readonly runs: CounterLike;
  private readonly alerts: CounterLike;
  private readonly overhead: HistogramLike;
  private readonly activeRuns: ObservableLike;
  private readonly attributes = new Map<
    string,
    {
      backend: MeterAttributes;
      workload: MeterAttributes;
      byOutcome: Record<Outcome, MeterAttributes>;
      runsByOutcome: Record<Outcome, MeterAttributes>;
    }
  >();
  private readonly meter: MeterLike;
  private readonly collectActive: BatchObservableCallbackLike;
  private readonly stopIsolation: () => void;
  private disposed = false;

  constructor(options: SandboxPerfOtelBridgeOptions = {}) {
    if ((options as unknown) === null || typeof options !== 'object')
      throw new ValidationError(expectation('options', 'an object', options));
    if (options.tap !== undefined && !(options.tap instanceof MonitorTap)) {
      throw new ValidationError(expectation('tap', 'a MonitorTap', options.tap));
    }
    this.ownsTap = options.tap === undefined;
    // A tap of our own checks the monitors before any instrument exists.
    this.tap = options.tap ?? new MonitorTap(options);
    const meter = options.meter ?? globalMeter();
    if ((meter as unknown) === null || typeof meter !== 'object' || typeof meter.createHistogram !== 'function') {
      if (this.ownsTap) this.tap.dispose();
      throw new ValidationError(expectation('meter', 'an OpenTelemetry Meter', meter));
    }
    this.meter = meter;
    const A = OTEL_ATTRIBUTES;
    try {
      this.stopIsolation =
        options.isolation === undefined
          ? () => undefined
          : observeIsolation(meter, options.isolation, { backend: A.backend, workload: A.workload, label: A.workloadLabel });
    } catch (error) {
      if (this.ownsTap) this.tap.dispose();
      throw error;
    }
    const N = OTEL_INSTRUMENT_NAMES;
    this.duration = meter.createHistogram(N.runDuration, {
      description: 'Wall time of finished sandbox runs (monotonic clock)',
      unit: 's',
      advice: { explicitBucketBoundaries: [...RUN_DURATION_BUCKETS_SECONDS] },
    });
    this.runs = meter.createCounter(N.runs, { description: 'Finished sandbox runs', unit: '{run}' });
    this.alerts = meter.createCounter(N.overheadAlerts, {
      description: "Runs longer than their monitor's alert threshold",
      unit: '{alert}',
    });
    this.overhead = meter.createHistogram(N.overhead, {
      description: 'What isolation added around each timed command (durationMs - commandMs)',
      unit: 's',
      advice: { explicitBucketBoundaries: [...OVERHEAD_BUCKETS_SECONDS] },
    });
    this.activeRuns = meter.createObservableUpDownCounter(N.activeRuns, {
      description: 'Sandbox runs started and not yet stopped',
      unit: '{run}',
    });
    this.collectActive = (result) => result.observe(this.activeRuns, this.tap.activeCount);
    meter.addBatchObservableCallback(this.collectActive, [this.activeRuns]);
    // OpenTelemetry cannot drop a stream: a retired workload's attributes are only forgotten here.
    this.unsubscribe = this.tap.subscribe({ record: (run) => this.record(run), retire: (w) => this.forget(w) });
  }

  /** Subscribes (through the tap) to a monitor's 'record' events; returns a function that detaches it. */
  attach(monitor: MonitorSource): () => void {
    if (this.disposed) throw new Error('This SandboxPerfOtelBridge was disposed; create a new one');
    return this.tap.attach(monitor);
  }

  detach(monitor: MonitorSource): void {
    this.tap.detach(monitor);
  }

  /** Records one finished run into this bridge only; bad records are dropped with one log line per kind, never thrown. */
  observe(record: SandboxPerfRecord, details?: SandboxRunDetails): void {
    const run = this.tap.resolve(record, details, 'the OpenTelemetry bridge');
    if (run !== undefined) this.record(run);
  }

  /** Detaches from the tap (disposing it when it is this bridge's own) and stops observing active runs. Idempotent. */
  dispose(): void {
    this.unsubscribe();
    if (this.ownsTap) this.tap.dispose();
    if (!this.disposed) {
      this.meter.removeBatchObservableCallback(this.collectActive, [this.activeRuns]);
      this.stopIsolation();
    }
    this.disposed = true;
  }

  private record(run: TappedRun): void {
    const key = run.workload === undefined ? run.backend : `${run.backend}\u0000${run.workload}`;
    let attrs = this.attributes.get(key);
    if (attrs === undefined) {
      const A = OTEL_ATTRIBUTES;
      let label = run.workload;
      for (const w of this.tap.exportedWorkloads()) if (w.workload === run.workload) label = w.label;
      // Runs that name no workload carry no workload attributes (their streams read as before workloads existed).
      const workload: MeterAttributes =
        run.workload === undefined
          ? { [A.backend]: run.backend }
          : { [A.backend]: run.backend, [A.workload]: run.workload, [A.workloadLabel]: label };
      // Durations by backend and outcome as before; runs and overhead by workload too (as in Prometheus).
      attrs = {
        backend: { [A.backend]: run.backend },
        workload,
        byOutcome: {
          success: { [A.backend]: run.backend, [A.outcome]: 'success' },
          timeout: { [A.backend]: run.backend, [A.outcome]: 'timeout' },
          error: { [A.backend]: run.backend, [A.outcome]: 'error' },
        },
        runsByOutcome: {
          success: { ...workload, [A.outcome]: 'success' },
          timeout: { ...workload, [A.outcome]: 'timeout' },
          error: { ...workload, [A.outcome]: 'error' },
        },
      };
      this.attributes.set(key, attrs);
    }
    this.duration.record(run.seconds, attrs.byOutcome[run.outcome]);
    this.runs.add(1, attrs.runsByOutcome[run.outcome]);
    if (run.alertFired) this.alerts.add(1, attrs.backend);
    if (run.overheadSeconds !== undefined) this.overhead.record(run.overheadSeconds, attrs.workload);
  }

  private forget(workload: string): void {
    for (const [key, attrs] of this.attributes) if (attrs.workload[OTEL_ATTRIBUTES.workload] === workload) this.attributes.delete(key);
  }
}
