import { expectation, ValidationError } from '../../validation';
import { sanitizeLabelValue } from '../labels';
import { sharedIsolationReads, type IsolationSeries, type IsolationSource } from '../isolationSource';
import type { BatchObservableCallbackLike, MeterLike, ObservableLike } from './MeterLike';

/** The isolation gauges' names, in OpenTelemetry's dotted style (the Prometheus ones: ISOLATION_METRIC_NAMES). */
export const OTEL_ISOLATION_NAMES = Object.freeze({
  total: 'sandbox.isolation.cost',
  low: 'sandbox.isolation.cost.low',
  high: 'sandbox.isolation.cost.high',
  fixed: 'sandbox.isolation.fixed',
  inCommand: 'sandbox.isolation.in_command',
} as const);

/**
 * Observable gauges of the whole cost of isolation per backend and workload (seconds), read from
 * `source` at collection time, off the recording path; attributes `sandbox.backend`,
 * `sandbox.workload` and `sandbox.workload.label` as on the bridge's other instruments. Returns
 * the function that removes the callback.
 */
export function observeIsolation(
  meter: MeterLike,
  source: IsolationSource,
  attributes: { backend: string; workload: string; label: string },
): () => void {
  const read = sharedIsolationReads(source, 'isolation');
  if (typeof meter.createObservableGauge !== 'function') {
    throw new ValidationError(expectation('meter', 'an OpenTelemetry Meter with createObservableGauge (for `isolation`)', meter));
  }
  const N = OTEL_ISOLATION_NAMES;
  const gauge = (name: string, description: string): ObservableLike =>
    (meter.createObservableGauge as NonNullable<MeterLike['createObservableGauge']>).call(meter, name, { description, unit: 's' });
  const parts: [ObservableLike, (s: IsolationSeries) => number][] = [
    [
      gauge(N.total, 'Whole cost of isolation per run: fixed (around the command) + in the command (against none)'),
      (s) => s.isolationMs.total,
    ],
    [gauge(N.low, `Lower bound of the 95 % interval of ${N.total}`), (s) => s.isolationMs.low],
    [gauge(N.high, `Upper bound of the 95 % interval of ${N.total}`), (s) => s.isolationMs.high],
    [gauge(N.fixed, 'Mean time around the command per run (durationMs - commandMs)'), (s) => s.isolationMs.fixed],
    [gauge(N.inCommand, 'Mean command time on the backend minus on none in the same workload'), (s) => s.isolationMs.inCommand],
  ];
  const callback: BatchObservableCallbackLike = async (result) => {
    for (const s of await read()) {
      const attrs = {
        [attributes.backend]: sanitizeLabelValue(s.backend),
        [attributes.workload]: sanitizeLabelValue(s.workload),
        [attributes.label]: sanitizeLabelValue(s.label),
      };
      for (const [gaugeOf, pick] of parts) {
        const seconds = pick(s) / 1000;
        if (Number.isFinite(seconds)) result.observe(gaugeOf, seconds, attrs);
      }
    }
  };
  const observables = parts.map(([g]) => g);
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
