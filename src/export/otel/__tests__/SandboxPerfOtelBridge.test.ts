import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { resetLogOnce, setLogSink } from '../../../log';
import { SandboxPerfOtelBridge, OTEL_INSTRUMENT_NAMES } from '../SandboxPerfOtelBridge';

function sdk(): { provider: MeterProvider; exporter: InMemoryMetricExporter; collect: () => Promise<Map<string, MetricData>> } {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async (): Promise<Map<string, MetricData>> => {
    exporter.reset();
    await reader.forceFlush();
    const byName = new Map<string, MetricData>();
    for (const rm of exporter.getMetrics()) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) byName.set(m.descriptor.name, m);
    return byName;
  };
  return { provider, exporter, collect };
}

let logs: string[];
let restoreLog: () => void;
beforeEach(() => {
  logs = [];
  resetLogOnce();
  restoreLog = setLogSink((line) => logs.push(line));
});
afterEach(() => restoreLog());

test('records runs into the SDK: histogram in seconds, counters and active runs, with attributes', async () => {
  const { provider, collect } = sdk();
  let now = 0;
  const clock = jest.spyOn(performance, 'now').mockImplementation(() => now);
  try {
    const monitor = new SandboxPerfMonitor({ sink: false, alertThresholdMs: 100 });
    const bridge = new SandboxPerfOtelBridge({ meter: provider.getMeter('test'), monitor });
    for (const [id, ms, backend] of [
      ['a', 20, 'none'],
      ['b', 40, 'none'],
      ['c', 300, 'docker'],
    ] as const) {
      monitor.start(id);
      now += ms;
      monitor.stop(id, { outcome: 'success', details: { backend } });
    }
    monitor.start('running-1');
    monitor.start('running-2');
    const data = await collect();

    const duration = data.get(OTEL_INSTRUMENT_NAMES.runDuration);
    expect(duration?.descriptor.unit).toBe('s');
    expect(duration?.dataPointType).toBe(DataPointType.HISTOGRAM);
    const none = duration?.dataPoints.find((p) => p.attributes['sandbox.backend'] === 'none');
    expect(none?.attributes).toEqual({ 'sandbox.backend': 'none', 'sandbox.outcome': 'success' });
    const h = none?.value as Histogram;
    expect(h.count).toBe(2);
    expect(h.sum).toBeCloseTo(0.06, 12);
    expect(h.buckets.boundaries).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]);

    const runs = data.get(OTEL_INSTRUMENT_NAMES.runs);
    expect(runs?.dataPoints.map((p) => [p.attributes['sandbox.backend'], p.value]).sort()).toEqual([
      ['docker', 1],
      ['none', 2],
    ]);
    const alerts = data.get(OTEL_INSTRUMENT_NAMES.overheadAlerts);
    expect(alerts?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ 'sandbox.backend': 'docker' }, 1]]);
    const active = data.get(OTEL_INSTRUMENT_NAMES.activeRuns);
    expect(active?.dataPoints.map((p) => p.value)).toEqual([2]);

    bridge.dispose();
    expect(monitor.listenerCount('record')).toBe(0);
    bridge.dispose();
  } finally {
    clock.mockRestore();
    await provider.shutdown();
  }
});

test('without an SDK registered nothing is recorded and nothing breaks', () => {
  const monitor = new SandboxPerfMonitor({ sink: false });
  const bridge = new SandboxPerfOtelBridge({ monitor });
  monitor.start('x');
  expect(() => monitor.stop('x', { outcome: 'success', details: { backend: 'none' } })).not.toThrow();
  bridge.dispose();
  expect(logs).toEqual([]);
});

test('with a global MeterProvider registered, the default meter records into it', async () => {
  const { provider, collect } = sdk();
  expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
  try {
    const bridge = new SandboxPerfOtelBridge();
    bridge.observe({ sandboxId: 'x', startTime: 0, durationMs: 1500, outcome: 'timeout', alertFired: true });
    const data = await collect();
    expect(data.get('sandbox.runs')?.dataPoints[0]?.attributes).toEqual({ 'sandbox.backend': 'unknown', 'sandbox.outcome': 'timeout' });
    expect((data.get('sandbox.run.duration')?.dataPoints[0]?.value as Histogram).sum).toBe(1.5);
    expect(data.get(OTEL_INSTRUMENT_NAMES.overheadAlerts)?.dataPoints[0]?.value).toBe(1);
    bridge.dispose();
  } finally {
    metrics.disable();
    await provider.shutdown();
  }
});

test('bad records are dropped with one log line and 10 000 backends stay bounded', async () => {
  const { provider, collect } = sdk();
  try {
    const bridge = new SandboxPerfOtelBridge({ meter: provider.getMeter('test') });
    bridge.observe({ sandboxId: 'x', startTime: 0, durationMs: Number.POSITIVE_INFINITY, outcome: 'success', alertFired: false });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/OpenTelemetry bridge.*Expected `record.durationMs` to be a finite number >= 0, got `Infinity` \(number\)/);
    for (let i = 0; i < 10_000; i++)
      bridge.observe({ sandboxId: `s${i}`, startTime: 0, durationMs: 1, outcome: 'success', alertFired: false }, { backend: `b"${i}\n` });
    const runs = (await collect()).get('sandbox.runs');
    expect(runs?.dataPoints).toHaveLength(21);
    expect(runs?.dataPoints.find((p) => p.attributes['sandbox.backend'] === 'other')?.value).toBe(10_000 - 20);
  } finally {
    await provider.shutdown();
  }
});

test('a missing @opentelemetry/api peer dependency is a clear error, only when no meter is passed', () => {
  jest.isolateModules(() => {
    jest.doMock('@opentelemetry/api', () => {
      throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh copy under the mock
    const { SandboxPerfOtelBridge: Fresh } = require('../SandboxPerfOtelBridge') as typeof import('../SandboxPerfOtelBridge');
    expect(() => new Fresh()).toThrow(/needs the peer dependency @opentelemetry\/api: run `npm install @opentelemetry\/api`/);
    const { provider } = sdk();
    expect(() => new Fresh({ meter: provider.getMeter('x') }).dispose()).not.toThrow();
    jest.dontMock('@opentelemetry/api');
  });
});

test('options are checked with the usual message shape', () => {
  expect(() => new SandboxPerfOtelBridge({ meter: {} as never })).toThrow(
    /^Expected `meter` to be an OpenTelemetry Meter, got `\{\}` \(object\)$/,
  );
  expect(() => new SandboxPerfOtelBridge({ monitor: 3 as never })).toThrow(
    /^Expected `monitor` to be a SandboxPerfMonitor, got `3` \(number\)$/,
  );
});

test('workload attributes: the key and its readable label, bounded to the busiest maxWorkloads plus other; none for runs that name no workload', async () => {
  const { provider, collect } = sdk();
  try {
    const bridge = new SandboxPerfOtelBridge({ meter: provider.getMeter('test'), maxWorkloads: 3 });
    const record = { sandboxId: 's', startTime: 0, durationMs: 5, outcome: 'success' as const, alertFired: false };
    for (let i = 0; i < 10_000; i++)
      bridge.observe(record, { backend: 'none', workload: `cmd-${i}`, workloadLabel: `job ${i}`, overheadMs: 1 });
    bridge.observe(record, { backend: 'none' });
    const data = await collect();
    const runs = data.get(OTEL_INSTRUMENT_NAMES.runs)?.dataPoints ?? [];
    expect(runs.map((p) => [p.attributes['sandbox.workload'], p.attributes['sandbox.workload.label'], p.value])).toEqual([
      ['cmd-0', 'job 0', 1],
      ['cmd-1', 'job 1', 1],
      ['cmd-2', 'job 2', 1],
      ['other', 'other', 10_000 - 3],
      [undefined, undefined, 1],
    ]);
    const overhead = data.get(OTEL_INSTRUMENT_NAMES.overhead);
    expect(overhead?.descriptor.unit).toBe('s');
    expect(overhead?.dataPoints.reduce((n, p) => n + (p.value as Histogram).count, 0)).toBe(10_000);
    // Durations stay by backend and outcome only, as in Prometheus.
    expect(data.get(OTEL_INSTRUMENT_NAMES.runDuration)?.dataPoints.map((p) => p.attributes)).toEqual([
      { 'sandbox.backend': 'none', 'sandbox.outcome': 'success' },
    ]);
    bridge.dispose();
  } finally {
    await provider.shutdown();
  }
});
