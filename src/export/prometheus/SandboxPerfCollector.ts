import type { Counter, Gauge, Histogram } from 'prom-client';
import { asRegisters, collectorRegistry, promClient } from './promClient';
import type { RegistryLike } from './RegistryLike';
import { OverheadHistogram } from './overheadHistogram';
import { PROMETHEUS_METRIC_NAMES } from './metricNames';
import { registerPersistenceMetrics } from './persistenceMetrics';
import type { SandboxPerfRecord, SandboxRunDetails } from '../../sandbox/types';
import { OUTCOMES } from '../../sandbox/types';
import { expectation, ValidationError } from '../../validation';
import { RUN_DURATION_BUCKETS_SECONDS } from '../buckets';
import { MonitorTap, type MonitorTapOptions, type TappedRun } from '../MonitorTap';
import type { MonitorSource, PersistenceHealthSource } from '../sources';

export { PROMETHEUS_METRIC_NAMES };

export interface SandboxPerfCollectorOptions extends MonitorTapOptions {
  /**
   * Where the metrics are registered. Pass your own to expose them next to your other metrics.
   * @default a new Registry owned by this collector (never prom-client's global one)
   */
  registry?: RegistryLike;
  /**
   * The tap to record from, shared with a SandboxPerfOtelBridge so both export the same label
   * values (then `monitor`, `maxBackends`, `maxWorkloads`… belong to the tap). dispose() leaves a
   * shared tap alone.
   * @default a tap of its own, built from these options
   */
  tap?: MonitorTap;
  /** Read at scrape time for the persistence gauges (a StateDatabase fits); omitted → no such gauges. */
  persistence?: PersistenceHealthSource;
  /** Histogram upper bounds in seconds. @default RUN_DURATION_BUCKETS_SECONDS (5 ms … 300 s) */
  buckets?: readonly number[];
}

type Outcome = SandboxPerfRecord['outcome'];

/** Per backend and workload label: the label objects prom-client wants, built once instead of per record. */
interface Series {
  backend: { backend: string };
  /** Backend and workload; the backend alone for runs that name no workload (their series read as before workloads existed). */
  withWorkload: { backend: string; workload?: string };
  byOutcome: Record<Outcome, { outcome: Outcome; backend: string; workload?: string }>;
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
  readonly tap: MonitorTap;
  private readonly ownsTap: boolean;
  private readonly unsubscribe: () => void;
  private readonly duration: Histogram<'backend'>;
  private readonly runs: Counter<'outcome' | 'backend' | 'workload'>;
  private readonly alerts: Counter<'backend'>;
  private readonly overhead: OverheadHistogram;
  private activeRuns: Gauge | undefined;
  private readonly registered: string[] = [];
  private readonly series = new Map<string, Series>();
  private disposed = false;

  constructor(options: SandboxPerfCollectorOptions = {}) {
    const registry = collectorRegistry(options);
    this.registry = registry;
    const prom = promClient();
    if (options.tap !== undefined && !(options.tap instanceof MonitorTap)) {
      throw new ValidationError(expectation('tap', 'a MonitorTap', options.tap));
    }
    // Built before any metric is registered: a bad option must not leave metrics behind.
    this.ownsTap = options.tap === undefined;
    this.tap = options.tap ?? new MonitorTap({ ...options, monitor: undefined });
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
          help: 'Finished sandbox runs by outcome, backend and workload (key; the busiest maxWorkloads, then other)',
          labelNames: ['outcome', 'backend', 'workload'],
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
    this.registerWorkloadInfo();
    if (options.persistence !== undefined)
      registerPersistenceMetrics(options.persistence, this.registry, (name, create) => this.register(name, create));
    this.unsubscribe = this.tap.subscribe({
      record: (run) => this.record(run),
      retire: (workload) => this.retire(workload),
      attached: () => (this.activeRuns ??= this.registerActiveRuns()),
    });
    const monitors = options.monitor === undefined ? [] : Array.isArray(options.monitor) ? options.monitor : [options.monitor];
    for (const m of monitors as MonitorSource[]) this.attach(m);
  }

  /**
   * Subscribes (through the tap) to a monitor's 'record' events and adds its running sandboxes
   * to `sandbox_active_runs`. Returns a function that detaches it again.
   */
  attach(monitor: MonitorSource): () => void {
    if (this.disposed) throw new Error('This SandboxPerfCollector was disposed; create a new one');
    return this.tap.attach(monitor);
  }

  detach(monitor: MonitorSource): void {
    this.tap.detach(monitor);
  }

  /** Records one finished run into this collector only; feed it yourself for records from elsewhere. */
  observe(record: SandboxPerfRecord, details?: SandboxRunDetails): void {
    const run = this.tap.resolve(record, details, 'the Prometheus collector');
    if (run !== undefined) this.record(run);
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
    return this.tap.foldedBackends;
  }

  /** Detaches from the tap (disposing it when it is this collector's own) and removes this collector's metrics. Idempotent. */
  dispose(): void {
    this.unsubscribe();
    if (this.ownsTap) this.tap.dispose();
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

  private record(run: TappedRun): void {
    const key = run.workload === undefined ? run.backend : `${run.backend}\u0000${run.workload}`;
    let series = this.series.get(key);
    if (series === undefined) {
      const withWorkload = run.workload === undefined ? { backend: run.backend } : { backend: run.backend, workload: run.workload };
      series = {
        backend: { backend: run.backend },
        withWorkload,
        byOutcome: {
          success: { outcome: 'success', ...withWorkload },
          timeout: { outcome: 'timeout', ...withWorkload },
          error: { outcome: 'error', ...withWorkload },
        },
      };
      this.series.set(key, series);
    }
    this.duration.observe(series.backend, run.seconds);
    this.runs.inc(series.byOutcome[run.outcome]);
    if (run.alertFired) this.alerts.inc(series.backend);
    if (run.overheadSeconds !== undefined) this.overhead.observe(series.withWorkload, run.overheadSeconds);
  }

  /** Drops the series of a workload that left the exported set (see WorkloadLabels): counters never step back in place. */
  private retire(workload: string): void {
    for (const [key, series] of this.series) {
      if (series.withWorkload.workload !== workload) continue;
      for (const outcome of OUTCOMES) this.runs.remove(series.byOutcome[outcome]);
      this.overhead.remove(series.withWorkload);
      this.series.delete(key);
    }
  }

  private registerWorkloadInfo(): void {
    const name = PROMETHEUS_METRIC_NAMES.workloadInfo;
    const tap = this.tap;
    this.register(
      name,
      () =>
        new (promClient().Gauge)({
          name,
          help: 'Always 1: the readable label of each workload exported now (join on workload)',
          labelNames: ['workload', 'label'],
          registers: asRegisters(this.registry),
          collect() {
            this.reset();
            for (const w of tap.exportedWorkloads()) this.set({ workload: w.workload, label: w.label }, 1);
          },
        }),
    );
  }

  private registerActiveRuns(): Gauge {
    const tap = this.tap;
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
            this.set(tap.activeCount);
          },
        }),
    );
  }
}
