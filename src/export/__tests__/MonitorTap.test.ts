import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { resetLogOnce, setLogSink } from '../../log';
import { MonitorTap } from '../MonitorTap';
import { SandboxPerfCollector } from '../prometheus/SandboxPerfCollector';
import { SandboxPerfOtelBridge } from '../otel/SandboxPerfOtelBridge';

let logs: string[];
let restoreLog: () => void;
beforeEach(() => {
  logs = [];
  resetLogOnce();
  restoreLog = setLogSink((line) => logs.push(line));
});
afterEach(() => restoreLog());

function otel(): { provider: MeterProvider; points: (name: string) => Promise<{ attributes: Record<string, unknown>; value: unknown }[]> } {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    points: async (name) => {
      exporter.reset();
      await reader.forceFlush();
      const metric = exporter
        .getMetrics()
        .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
        .find((m) => m.descriptor.name === name);
      return (metric?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value }));
    },
  };
}

test('one tap feeds both exporters: one listener on the monitor, the same bounded workload labels in Prometheus and OpenTelemetry', async () => {
  const { provider, points } = otel();
  const monitor = new SandboxPerfMonitor({ sink: false });
  const tap = new MonitorTap({ monitor, maxWorkloads: 1 });
  const collector = new SandboxPerfCollector({ tap });
  const bridge = new SandboxPerfOtelBridge({ tap, meter: provider.getMeter('test') });
  try {
    expect(monitor.listenerCount('record')).toBe(1);
    for (const [id, workload] of [
      ['a', 'cmd-1'],
      ['b', 'cmd-2'],
      ['c', 'cmd-1'],
    ] as const) {
      monitor.start(id);
      monitor.stop(id, { outcome: 'success', details: { backend: 'unshare', workload, workloadLabel: `job ${workload}`, commandMs: 0 } });
    }
    const text = await collector.metrics();
    expect(text).toContain('sandbox_runs_total{outcome="success",backend="unshare",workload="cmd-1"} 2');
    expect(text).toContain('sandbox_runs_total{outcome="success",backend="unshare",workload="other"} 1');
    expect(text).toContain('sandbox_workload_info{workload="cmd-1",label="job cmd-1"} 1');
    expect(text).toContain('sandbox_active_runs 0');
    const runs = await points('sandbox.runs');
    expect(runs.map((p) => [p.attributes['sandbox.workload'], p.attributes['sandbox.workload.label'], p.value])).toEqual([
      ['cmd-1', 'job cmd-1', 2],
      ['other', 'other', 1],
    ]);
    const overhead = await points('sandbox.overhead');
    expect(overhead.map((p) => [p.attributes['sandbox.workload'], (p.value as { count: number }).count])).toEqual([
      ['cmd-1', 2],
      ['other', 1],
    ]);
    // Disposing one exporter leaves the shared tap, the monitor's listener and the other exporter alone.
    collector.dispose();
    expect(monitor.listenerCount('record')).toBe(1);
    monitor.start('d');
    monitor.stop('d', { outcome: 'error', details: { backend: 'unshare', workload: 'cmd-1' } });
    expect((await points('sandbox.runs')).map((p) => p.value)).toEqual([2, 1, 1]);
  } finally {
    bridge.dispose();
    tap.dispose();
    await provider.shutdown();
  }
  expect(monitor.listenerCount('record')).toBe(0);
});

test('a retired workload: its Prometheus series are removed, never stepped back, and a comeback starts from 0', async () => {
  let now = 0;
  const clock = jest.spyOn(performance, 'now').mockImplementation(() => now);
  try {
    const collector = new SandboxPerfCollector({ maxWorkloads: 1 });
    const record = { sandboxId: 'x', startTime: 0, durationMs: 1, outcome: 'success' as const, alertFired: false };
    const run = (workload: string, times: number): void => {
      for (let i = 0; i < times; i++) collector.observe(record, { backend: 'none', workload, commandMs: 0.5, overheadMs: 0.5 });
    };
    const count = async (workload: string): Promise<number | undefined> => {
      const m = new RegExp(`^sandbox_runs_total\\{outcome="success",backend="none",workload="${workload}"\\} (\\d+)$`, 'm').exec(
        await collector.metrics(),
      );
      return m ? Number(m[1]) : undefined;
    };
    run('old', 2);
    run('new', 6);
    expect([await count('old'), await count('new'), await count('other')]).toEqual([2, undefined, 6]);
    now = 61_000;
    run('new', 1); // rebalance: new (6) > 2 × old (2) takes the slot; old is demoted, its series kept
    expect([await count('old'), await count('new')]).toEqual([2, 1]);
    run('old', 1); // old's later runs count under other: old's own counter does not move back or forward
    expect([await count('old'), await count('other')]).toEqual([2, 7]);
    now = 122_000;
    run('new', 1); // next rebalance: old's series are retired
    expect(await count('old')).toBeUndefined();
    expect(await collector.metrics()).not.toMatch(/workload="old"/);
    expect(await count('new')).toBe(2);
    collector.dispose();
  } finally {
    clock.mockRestore();
  }
});

test('bad records reach no exporter and are logged once; a failing sink does not stop the others', () => {
  const tap = new MonitorTap();
  const seen: string[] = [];
  tap.subscribe({
    record: () => {
      throw new Error('sink broke');
    },
  });
  tap.subscribe({ record: (run) => seen.push(run.backend) });
  tap.observe({ sandboxId: 'x', startTime: 0, durationMs: -1, outcome: 'success', alertFired: false });
  tap.observe(null as never);
  tap.observe({ sandboxId: 'x', startTime: 0, durationMs: 1, outcome: 'success', alertFired: false }, { backend: 'none' });
  expect(seen).toEqual(['none']);
  expect(logs.join('\n')).toMatch(/dropped a record the exporters could not use.*Expected `record.durationMs` to be a finite number >= 0/);
  expect(logs.join('\n')).toMatch(/an exporter failed to record a run.*sink broke/);
  expect(() => new MonitorTap({ monitor: {} as never })).toThrow(/^Expected `monitor` to be a SandboxPerfMonitor/);
  expect(() => new SandboxPerfCollector({ tap: {} as never })).toThrow(/^Expected `tap` to be a MonitorTap, got `\{\}` \(object\)$/);
  tap.dispose();
  expect(() => tap.attach(new SandboxPerfMonitor({ sink: false }))).toThrow(/disposed/);
});
