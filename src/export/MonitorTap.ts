import type { SandboxOutcome, SandboxPerfRecord, SandboxRunDetails } from '../sandbox/types';
import { OUTCOMES } from '../sandbox/types';
import { logOnce } from '../log';
import { expectation, ValidationError } from '../validation';
import { BackendLabels, type BackendLabelOptions } from './labels';
import { WorkloadLabels, type ExportedWorkload, type WorkloadLabelOptions } from './workloadLabels';
import type { MonitorSource } from './sources';

/** A finished run as every exporter records it: checked once, labels resolved once. */
export interface TappedRun {
  seconds: number;
  outcome: SandboxOutcome;
  alertFired: boolean;
  /** Bounded backend label (`unknown`, `other`). */
  backend: string;
  /** Bounded workload label: the workload key, `other` past the bound; undefined when the run names none (no label then). */
  workload: string | undefined;
  /** `overheadMs` in seconds (clamped at 0) when the backend timed the command; else undefined. */
  overheadSeconds: number | undefined;
}

/** What an exporter gives the tap. */
export interface TapSink {
  /** One resolved run; must not throw (the tap logs it once if it does). */
  record(run: TappedRun): void;
  /** A workload label value that left the exported set one rebalance ago: drop its series. */
  retire?(workload: string): void;
  /** A monitor was attached to the tap (the first one makes an active-runs gauge worth exporting). */
  attached?(): void;
}

export interface MonitorTapOptions extends BackendLabelOptions, WorkloadLabelOptions {
  /** Monitors to subscribe to now; more can be added with attach(). */
  monitor?: MonitorSource | readonly MonitorSource[];
}

type Listener = (record: SandboxPerfRecord, details: SandboxRunDetails | undefined) => void;

function assertMonitor(monitor: unknown): asserts monitor is MonitorSource {
  const m = monitor as MonitorSource | null;
  if (m === null || typeof m !== 'object' || typeof m.on !== 'function' || typeof m.activeCount !== 'number') {
    throw new ValidationError(expectation('monitor', 'a SandboxPerfMonitor', monitor));
  }
}

const text = (value: unknown): string | undefined =>
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a JavaScript caller's non-string name is labelled as String() renders it
  typeof value === 'string' ? value : value == null ? undefined : String(value);

/**
 * The one place the exporters meet the monitors: subscribes to their 'record' events, checks each
 * record once, resolves its bounded backend and workload labels once, and hands the result to
 * every sink (the Prometheus collector, the OpenTelemetry bridge). Share one tap between both
 * exporters and they export the same label values; each exporter makes its own when given none.
 *
 * Nothing here throws into `monitor.stop()`: bad records are dropped with one log line per kind.
 */
export class MonitorTap {
  private readonly backends: BackendLabels;
  private readonly workloads: WorkloadLabels;
  private readonly monitors = new Map<MonitorSource, Listener>();
  private readonly sinks = new Set<TapSink>();
  private disposed = false;

  constructor(options: MonitorTapOptions = {}) {
    if ((options as unknown) === null || typeof options !== 'object')
      throw new ValidationError(expectation('options', 'an object', options));
    this.backends = new BackendLabels(options);
    this.workloads = new WorkloadLabels(options, (workload) => {
      for (const sink of this.sinks) sink.retire?.(workload);
    });
    const monitors = options.monitor === undefined ? [] : Array.isArray(options.monitor) ? options.monitor : [options.monitor];
    for (const m of monitors as MonitorSource[]) assertMonitor(m);
    for (const m of monitors as MonitorSource[]) this.attach(m);
  }

  /** Subscribes to a monitor's 'record' events; returns a function that detaches it. */
  attach(monitor: MonitorSource): () => void {
    if (this.disposed) throw new Error('This MonitorTap was disposed; create a new one');
    assertMonitor(monitor);
    if (!this.monitors.has(monitor)) {
      const listener: Listener = (record, details) => this.observe(record, details);
      monitor.on('record', listener);
      this.monitors.set(monitor, listener);
      for (const sink of this.sinks) sink.attached?.();
    }
    return () => this.detach(monitor);
  }

  detach(monitor: MonitorSource): void {
    const listener = this.monitors.get(monitor);
    if (listener === undefined) return;
    monitor.off('record', listener);
    this.monitors.delete(monitor);
  }

  /** Adds an exporter; returns a function that removes it. */
  subscribe(sink: TapSink): () => void {
    this.sinks.add(sink);
    if (this.monitors.size > 0) sink.attached?.();
    return () => this.sinks.delete(sink);
  }

  /** Runs started and not yet stopped, over the attached monitors (read at collection time). */
  get activeCount(): number {
    let active = 0;
    for (const monitor of this.monitors.keys()) active += monitor.activeCount;
    return active;
  }

  /** Checks and resolves a record, then feeds every sink; what the 'record' listener calls. */
  observe(record: SandboxPerfRecord, details?: SandboxRunDetails): void {
    const run = this.resolve(record, details, 'the exporters');
    if (run !== undefined) for (const sink of this.sinks) this.feed(sink, run);
  }

  /** Checks and resolves a record for one exporter only (its own observe()); undefined when dropped. */
  resolve(record: SandboxPerfRecord, details: SandboxRunDetails | undefined, who: string): TappedRun | undefined {
    try {
      // Records may come from anywhere (JavaScript, another process): checked as unknown values.
      const seconds = record.durationMs / 1000;
      const outcome: unknown = record.outcome;
      if (!(seconds >= 0 && seconds < Number.POSITIVE_INFINITY)) {
        throw new RangeError(expectation('record.durationMs', 'a finite number >= 0', record.durationMs));
      }
      if (!(OUTCOMES as readonly unknown[]).includes(outcome)) {
        throw new ValidationError(expectation('record.outcome', `one of ${OUTCOMES.map((o) => `'${o}'`).join(', ')}`, outcome));
      }
      const d = details as Partial<Record<keyof SandboxRunDetails, unknown>> | null | undefined;
      const overheadMs = d?.overheadMs;
      return {
        seconds,
        outcome: outcome as SandboxOutcome,
        alertFired: (record.alertFired as unknown) === true,
        backend: this.backends.label(text(d?.backend)),
        workload: this.workloads.label(text(d?.workload), text(d?.workloadLabel), performance.now()),
        // A negative overhead (a clock step on a foreign timer) is clamped: histograms have no negative buckets.
        overheadSeconds: typeof overheadMs === 'number' && Number.isFinite(overheadMs) ? Math.max(0, overheadMs) / 1000 : undefined,
      };
    } catch (error) {
      logOnce(error, `sandbox-perf: dropped a record ${who} could not use`);
      return undefined;
    }
  }

  /** Admits these workloads first, busiest first, before any run is labelled (see WorkloadLabels.seed). */
  seedWorkloads(workloads: readonly { workload: string; label: string; runs: number }[]): void {
    this.workloads.seed(workloads);
  }

  /** The workload label values exported now, with their readable labels. */
  exportedWorkloads(): IterableIterator<ExportedWorkload> {
    return this.workloads.exported();
  }

  /** Workload label values kept before `other` (the `maxWorkloads` option). */
  get maxWorkloads(): number {
    return this.workloads.maxWorkloads;
  }

  /** Backend names folded into `other` because of `maxBackends`. */
  get foldedBackends(): number {
    return this.backends.foldedCount;
  }

  /** Runs whose workload was counted under `other` because of `maxWorkloads`. */
  get foldedWorkloads(): number {
    return this.workloads.foldedCount;
  }

  /** Revisits the workload ranking now (it also happens as runs arrive, every `workloadRebalanceMs`). */
  rebalance(): void {
    this.workloads.rebalance(performance.now());
  }

  /** Detaches every monitor and every sink. Idempotent. */
  dispose(): void {
    for (const monitor of [...this.monitors.keys()]) this.detach(monitor);
    this.sinks.clear();
    this.disposed = true;
  }

  private feed(sink: TapSink, run: TappedRun): void {
    try {
      sink.record(run);
    } catch (error) {
      logOnce(error, 'sandbox-perf: an exporter failed to record a run');
    }
  }
}
