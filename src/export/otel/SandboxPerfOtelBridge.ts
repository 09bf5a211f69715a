import type { Attributes, BatchObservableCallback, Counter, Histogram, Meter, ObservableUpDownCounter } from '@opentelemetry/api';
import type { SandboxPerfRecord, SandboxRunDetails } from '../../sandbox/types';
import { logOnce } from '../../log';
import { expectation, ValidationError } from '../../validation';
import { BackendLabels, type BackendLabelOptions } from '../labels';
import { RUN_DURATION_BUCKETS_SECONDS } from '../buckets';
import type { MonitorSource } from '../sources';

/** Instrument and attribute names, in OpenTelemetry's dotted style. */
export const OTEL_INSTRUMENT_NAMES = Object.freeze({
  runDuration: 'sandbox.run.duration',
  runs: 'sandbox.runs',
  overheadAlerts: 'sandbox.overhead_alerts',
  activeRuns: 'sandbox.active_runs',
} as const);
export const OTEL_ATTRIBUTES = Object.freeze({ outcome: 'sandbox.outcome', backend: 'sandbox.backend' } as const);
export const OTEL_METER_NAME = 'sandbox-perf';

export interface SandboxPerfOtelBridgeOptions extends BackendLabelOptions {
  /**
   * The Meter to record into.
   * @default metrics.getMeter('sandbox-perf') from @opentelemetry/api: the globally registered
   * MeterProvider, or the API's no-op one when no SDK is registered (then nothing is recorded)
   */
  meter?: Meter;
  /** Monitors to subscribe to now; more can be added with attach(). */
  monitor?: MonitorSource | readonly MonitorSource[];
}

type Outcome = SandboxPerfRecord['outcome'];

/** @opentelemetry/api is an optional peer dependency: loaded only when no meter is passed in. */
function globalMeter(): Meter {
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

function assertMonitor(monitor: unknown): asserts monitor is MonitorSource {
  const m = monitor as MonitorSource | null;
  if (m === null || typeof m !== 'object' || typeof m.on !== 'function' || typeof m.activeCount !== 'number') {
    throw new ValidationError(expectation('monitor', 'a SandboxPerfMonitor', monitor));
  }
}

/**
 * Records monitor records into OpenTelemetry instruments:
 * `sandbox.run.duration` (histogram, s), `sandbox.runs` and `sandbox.overhead_alerts`
 * (counters), `sandbox.active_runs` (observable up-down counter, read at collection time),
 * with the attributes `sandbox.outcome` and `sandbox.backend` (bounded as for Prometheus).
 *
 * Attribute objects are built once per backend, so a record costs a Map lookup and two or three
 * instrument calls. Without an SDK the API hands out no-op instruments: recording does nothing.
 */
export class SandboxPerfOtelBridge {
  private readonly labels: BackendLabels;
  private readonly duration: Histogram;
  private readonly runs: Counter;
  private readonly alerts: Counter;
  private readonly activeRuns: ObservableUpDownCounter;
  private readonly attributes = new Map<string, { backend: Attributes; byOutcome: Record<Outcome, Attributes> }>();
  private readonly monitors = new Map<MonitorSource, (record: SandboxPerfRecord, details: SandboxRunDetails | undefined) => void>();
  private readonly meter: Meter;
  private readonly collectActive: BatchObservableCallback;
  private disposed = false;

  constructor(options: SandboxPerfOtelBridgeOptions = {}) {
    if ((options as unknown) === null || typeof options !== 'object')
      throw new ValidationError(expectation('options', 'an object', options));
    this.labels = new BackendLabels(options);
    const monitors = options.monitor === undefined ? [] : Array.isArray(options.monitor) ? options.monitor : [options.monitor];
    for (const m of monitors as MonitorSource[]) assertMonitor(m);
    const meter = options.meter ?? globalMeter();
    if ((meter as unknown) === null || typeof meter !== 'object' || typeof meter.createHistogram !== 'function') {
      throw new ValidationError(expectation('meter', 'an OpenTelemetry Meter', meter));
    }
    this.meter = meter;
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
    this.activeRuns = meter.createObservableUpDownCounter(N.activeRuns, {
      description: 'Sandbox runs started and not yet stopped',
      unit: '{run}',
    });
    this.collectActive = (result) => {
      let active = 0;
      for (const monitor of this.monitors.keys()) active += monitor.activeCount;
      result.observe(this.activeRuns, active);
    };
    meter.addBatchObservableCallback(this.collectActive, [this.activeRuns]);
    for (const m of monitors as MonitorSource[]) this.attach(m);
  }

  /** Subscribes to a monitor's 'record' events; returns a function that detaches it. */
  attach(monitor: MonitorSource): () => void {
    if (this.disposed) throw new Error('This SandboxPerfOtelBridge was disposed; create a new one');
    assertMonitor(monitor);
    if (!this.monitors.has(monitor)) {
      const listener = (record: SandboxPerfRecord, details: SandboxRunDetails | undefined): void => this.observe(record, details);
      monitor.on('record', listener);
      this.monitors.set(monitor, listener);
    }
    return () => this.detach(monitor);
  }

  detach(monitor: MonitorSource): void {
    const listener = this.monitors.get(monitor);
    if (listener === undefined) return;
    monitor.off('record', listener);
    this.monitors.delete(monitor);
  }

  /** Records one finished run; bad records are dropped with one log line per kind, never thrown. */
  observe(record: SandboxPerfRecord, details?: SandboxRunDetails): void {
    try {
      const seconds = record.durationMs / 1000;
      // Records may come from anywhere (JavaScript, another process): checked as unknown values.
      const outcome: unknown = record.outcome;
      if (!(seconds >= 0 && seconds < Number.POSITIVE_INFINITY)) {
        throw new RangeError(expectation('record.durationMs', 'a finite number >= 0', record.durationMs));
      }
      if (outcome !== 'success' && outcome !== 'timeout' && outcome !== 'error') {
        throw new ValidationError(expectation('record.outcome', "one of 'success', 'timeout', 'error'", outcome));
      }
      const backend: unknown = (details as SandboxRunDetails | null | undefined)?.backend;
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a JavaScript caller's non-string backend is labelled as String() renders it
      const label = this.labels.label(typeof backend === 'string' ? backend : backend == null ? undefined : String(backend));
      let attrs = this.attributes.get(label);
      if (attrs === undefined) {
        const B = OTEL_ATTRIBUTES.backend;
        const O = OTEL_ATTRIBUTES.outcome;
        attrs = {
          backend: { [B]: label },
          byOutcome: {
            success: { [B]: label, [O]: 'success' },
            timeout: { [B]: label, [O]: 'timeout' },
            error: { [B]: label, [O]: 'error' },
          },
        };
        this.attributes.set(label, attrs);
      }
      const withOutcome = attrs.byOutcome[outcome];
      this.duration.record(seconds, withOutcome);
      this.runs.add(1, withOutcome);
      if ((record.alertFired as unknown) === true) this.alerts.add(1, attrs.backend);
    } catch (error) {
      logOnce(error, 'sandbox-perf: dropped a record the OpenTelemetry bridge could not use');
    }
  }

  /** Detaches every monitor and stops observing active runs. Idempotent. */
  dispose(): void {
    for (const monitor of [...this.monitors.keys()]) this.detach(monitor);
    if (!this.disposed) this.meter.removeBatchObservableCallback(this.collectActive, [this.activeRuns]);
    this.disposed = true;
  }
}
