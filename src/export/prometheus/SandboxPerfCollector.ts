import type { Counter, Gauge, Histogram } from 'prom-client';
import { asRegisters, collectorRegistry, promClient } from './promClient';
import type { RegistryLike } from './RegistryLike';
import { OVERHEAD_METRIC_NAME, OverheadHistogram } from './overheadHistogram';
import type { SandboxPerfRecord, SandboxRunDetails } from '../../sandbox/types';
import { OUTCOMES } from '../../sandbox/types';
import { logOnce } from '../../log';
import { expectation, ValidationError } from '../../validation';
import { BackendLabels, type BackendLabelOptions } from '../labels';
import { RUN_DURATION_BUCKETS_SECONDS } from '../buckets';
import type { MonitorSource, PersistenceHealthSource } from '../sources';

/** Every metric name the collector can register (the ops/ files and the docs use exactly these). */
export const PROMETHEUS_METRIC_NAMES = Object.freeze({
  runDuration: 'sandbox_run_duration_seconds',
  runs: 'sandbox_runs_total',
  overheadAlerts: 'sandbox_overhead_alerts_total',
  activeRuns: 'sandbox_active_runs',
  persistQueued: 'sandbox_perf_persist_queued',
  persistWritten: 'sandbox_perf_persist_written_total',
  persistDropped: 'sandbox_perf_persist_dropped_total',
  persistFailedWrites: 'sandbox_perf_persist_failed_writes_total',
  overhead: OVERHEAD_METRIC_NAME,
} as const);

export interface SandboxPerfCollectorOptions extends BackendLabelOptions {
  /**
   * Where the metrics are registered. Pass your own to expose them next to your other metrics.
   * @default a new Registry owned by this collector (never prom-client's global one)
   */
  registry?: RegistryLike;
  /** Monitors to subscribe to now; more can be added with attach(). */
  monitor?: MonitorSource | readonly MonitorSource[];
  /** Read at scrape time for the persistence gauges (a StateDatabase fits); omitted → no such gauges. */
  persistence?: PersistenceHealthSource;
  /** Histogram upper bounds in seconds. @default RUN_DURATION_BUCKETS_SECONDS (5 ms … 300 s) */
  buckets?: readonly number[];
}

type Outcome = SandboxPerfRecord['outcome'];

/** Per backend label: the label objects prom-client wants, built once instead of per record. */
interface Series {
  backend: { backend: string };
  byOutcome: Record<Outcome, { outcome: Outcome; backend: string }>;
}

/**
 * Turns monitor records into Prometheus metrics.
 *
 * Recording (`observe`, called on each 'record' event) is a Map lookup for the backend label, a
 * histogram observe and a counter increment; bucket cumulation and text formatting happen in
 * prom-client at scrape time. Active runs and persistence health are read at scrape time.
 * Bad records are dropped with one log line per kind; nothing here throws into `monitor.stop()`.
 */
export class SandboxPerfCollector {
  readonly registry: RegistryLike;
  private readonly labels: BackendLabels;
  private readonly duration: Histogram<'backend'>;
  private readonly runs: Counter<'outcome' | 'backend'>;
  private readonly alerts: Counter<'backend'>;
  private readonly overhead: OverheadHistogram;
  private activeRuns: Gauge | undefined;
  private readonly registered: string[] = [];
  private readonly series = new Map<string, Series>();
  private readonly monitors = new Map<MonitorSource, (record: SandboxPerfRecord, details: SandboxRunDetails | undefined) => void>();
  private disposed = false;

  constructor(options: SandboxPerfCollectorOptions = {}) {
    const registry = collectorRegistry(options);
    this.registry = registry;
    const prom = promClient();
    this.labels = new BackendLabels(options);
    const buckets = options.buckets ?? RUN_DURATION_BUCKETS_SECONDS;
    // Checked as unknown: JavaScript callers may pass anything, and Array.isArray(buckets) would make it any[].
    const list: unknown = buckets;
    if (
      !Array.isArray(list) ||
      buckets.length === 0 ||
      buckets.some((b, i) => !Number.isFinite(b) || b <= 0 || (i > 0 && b <= (buckets[i - 1] as number)))
    ) {
      throw new ValidationError(expectation('buckets', 'a non-empty, strictly increasing array of positive finite numbers', buckets));
    }
    const N = PROMETHEUS_METRIC_NAMES;
    this.duration = this.register(
      N.runDuration,
      () =>
        new prom.Histogram({
          name: N.runDuration,
          help: 'Wall time of finished sandbox runs, seconds (monotonic clock)',
          labelNames: ['backend'],
          buckets: [...buckets],
          registers: asRegisters(registry),
        }),
    );
    this.runs = this.register(
      N.runs,
      () =>
        new prom.Counter({
          name: N.runs,
          help: 'Finished sandbox runs by outcome and backend',
          labelNames: ['outcome', 'backend'],
          registers: asRegisters(registry),
        }),
    );
    this.alerts = this.register(
      N.overheadAlerts,
      () =>
        new prom.Counter({
          name: N.overheadAlerts,
          help: "Runs longer than their monitor's alert threshold ('overhead-alert' events)",
          labelNames: ['backend'],
          registers: asRegisters(registry),
        }),
    );
    this.overhead = this.register(N.overhead, () => new OverheadHistogram(registry));
    if (options.persistence !== undefined) this.registerPersistence(options.persistence);
    const monitors = options.monitor === undefined ? [] : Array.isArray(options.monitor) ? options.monitor : [options.monitor];
    for (const m of monitors as MonitorSource[]) this.attach(m);
  }

  /**
   * Subscribes to a monitor's 'record' events and adds its running sandboxes to
   * `sandbox_active_runs`. Returns a function that detaches it again.
   */
  attach(monitor: MonitorSource): () => void {
    if (this.disposed) throw new Error('This SandboxPerfCollector was disposed; create a new one');
    if (
      (monitor as unknown) === null ||
      typeof monitor !== 'object' ||
      typeof monitor.on !== 'function' ||
      typeof monitor.activeCount !== 'number'
    ) {
      throw new ValidationError(expectation('monitor', 'a SandboxPerfMonitor', monitor));
    }
    if (!this.monitors.has(monitor)) {
      const listener = (record: SandboxPerfRecord, details: SandboxRunDetails | undefined): void => this.observe(record, details);
      monitor.on('record', listener);
      this.monitors.set(monitor, listener);
      this.activeRuns ??= this.registerActiveRuns();
    }
    return () => this.detach(monitor);
  }

  detach(monitor: MonitorSource): void {
    const listener = this.monitors.get(monitor);
    if (listener === undefined) return;
    monitor.off('record', listener);
    this.monitors.delete(monitor);
  }

  /** Records one finished run. What the 'record' listener calls; feed it yourself for records from elsewhere. */
  observe(record: SandboxPerfRecord, details?: SandboxRunDetails): void {
    try {
      const seconds = record.durationMs / 1000;
      // Records may come from anywhere (JavaScript, another process): checked as unknown values.
      const outcome: unknown = record.outcome;
      if (!(seconds >= 0 && seconds < Number.POSITIVE_INFINITY)) {
        throw new RangeError(expectation('record.durationMs', 'a finite number >= 0', record.durationMs));
      }
      if (outcome !== 'success' && outcome !== 'timeout' && outcome !== 'error') {
        throw new ValidationError(expectation('record.outcome', `one of ${OUTCOMES.map((o) => `'${o}'`).join(', ')}`, outcome));
      }
      const backend: unknown = (details as SandboxRunDetails | null | undefined)?.backend;
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a JavaScript caller's non-string backend is labelled as String() renders it
      const label = this.labels.label(typeof backend === 'string' ? backend : backend == null ? undefined : String(backend));
      let series = this.series.get(label);
      if (series === undefined) {
        series = {
          backend: { backend: label },
          byOutcome: {
            success: { outcome: 'success', backend: label },
            timeout: { outcome: 'timeout', backend: label },
            error: { outcome: 'error', backend: label },
          },
        };
        this.series.set(label, series);
      }
      this.duration.observe(series.backend, seconds);
      this.runs.inc(series.byOutcome[outcome]);
      if ((record.alertFired as unknown) === true) this.alerts.inc(series.backend);
      this.overhead.observe(label, details);
    } catch (error) {
      logOnce(error, 'sandbox-perf: dropped a record the Prometheus collector could not use');
    }
  }

  /** The exposition text of the collector's registry (with whatever else is registered in it). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Backend names folded into `other` because of `maxBackends`. */
  get foldedBackends(): number {
    return this.labels.foldedCount;
  }

  /** Detaches every monitor and removes this collector's metrics from the registry. Idempotent. */
  dispose(): void {
    for (const monitor of [...this.monitors.keys()]) this.detach(monitor);
    for (const name of this.registered) this.registry.removeSingleMetric(name);
    this.registered.length = 0;
    this.disposed = true;
  }

  private register<T>(name: string, create: () => T): T {
    if (this.registry.getSingleMetric(name) !== undefined) {
      throw new Error(
        `The registry already has a metric named \`${name}\`: use one SandboxPerfCollector per registry ` +
          '(attach() more monitors to it) or dispose() the previous one',
      );
    }
    const metric = create();
    this.registered.push(name);
    return metric;
  }

  private registerActiveRuns(): Gauge {
    const monitors = this.monitors;
    const name = PROMETHEUS_METRIC_NAMES.activeRuns;
    const prom = promClient();
    return this.register(
      name,
      () =>
        new prom.Gauge({
          name,
          help: 'Sandbox runs started and not yet stopped',
          registers: asRegisters(this.registry),
          collect() {
            let active = 0;
            for (const monitor of monitors.keys()) active += monitor.activeCount;
            this.set(active);
          },
        }),
    );
  }

  private registerPersistence(source: PersistenceHealthSource): void {
    if ((source as unknown) === null || typeof source !== 'object' || typeof source.health !== 'function') {
      throw new ValidationError(expectation('persistence', 'an object with a health() method (a StateDatabase)', source));
    }
    const registry = this.registry;
    const prom = promClient();
    const read = (): ReturnType<PersistenceHealthSource['health']> | undefined => {
      try {
        return source.health();
      } catch (error) {
        logOnce(error, 'sandbox-perf: could not read persistence health for /metrics');
        return undefined;
      }
    };
    const N = PROMETHEUS_METRIC_NAMES;
    this.register(
      N.persistQueued,
      () =>
        new prom.Gauge({
          name: N.persistQueued,
          help: 'Records waiting to be written to SQLite, including a batch being written',
          registers: asRegisters(registry),
          collect() {
            const health = read();
            if (health) this.set(health.queued);
          },
        }),
    );
    // Counts that only grow for the life of the StateDatabase: counters whose value is read, not counted here.
    const counter = (name: string, help: string, pick: (h: NonNullable<ReturnType<typeof read>>) => number): void => {
      this.register(
        name,
        () =>
          new prom.Counter({
            name,
            help,
            registers: asRegisters(registry),
            collect() {
              const health = read();
              if (!health) return;
              this.reset();
              this.inc(pick(health));
            },
          }),
      );
    };
    counter(N.persistWritten, 'Records written to SQLite', (h) => h.written);
    counter(N.persistDropped, 'Records dropped because the write queue passed maxQueue during a fault', (h) => h.dropped);
    counter(N.persistFailedWrites, 'Batch writes to SQLite that failed (and were retried)', (h) => h.failedWrites);
  }
}
