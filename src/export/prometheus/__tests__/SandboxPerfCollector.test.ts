import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, Counter } from 'prom-client';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import type { SandboxPerfRecord } from '../../../sandbox/types';
import { resetLogOnce, setLogSink } from '../../../log';
import { describeWhen } from '../../../../test/support/e2e';
import { SandboxPerfCollector, PROMETHEUS_METRIC_NAMES } from '../SandboxPerfCollector';
import { createMetricsHandler } from '../metricsHandler';
import { checkMetrics, promtoolMissing } from '../../../../test/support/tools';

function record(
  durationMs: number,
  outcome: SandboxPerfRecord['outcome'] = 'success',
  alertFired = false,
  sandboxId = 'sb',
): SandboxPerfRecord {
  return { sandboxId, startTime: 1_700_000_000_000, durationMs, outcome, alertFired };
}

/** Value of one sample line, e.g. sample(text, 'sandbox_runs_total{outcome="success",backend="none"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let logs: string[];
let restoreLog: () => void;
beforeEach(() => {
  logs = [];
  resetLogOnce();
  restoreLog = setLogSink((line) => logs.push(line));
});
afterEach(() => restoreLog());

test('records from a monitor become histogram, counters and alerts, by backend', async () => {
  let now = 0;
  const clock = jest.spyOn(performance, 'now').mockImplementation(() => now);
  try {
    const monitor = new SandboxPerfMonitor({ sink: false, alertThresholdMs: 100 });
    const collector = new SandboxPerfCollector({ monitor });
    const run = (id: string, ms: number, outcome: SandboxPerfRecord['outcome'], backend?: string): void => {
      monitor.start(id);
      now += ms;
      monitor.stop(id, backend === undefined ? { outcome } : { outcome, details: { backend } });
    };
    run('a', 20, 'success', 'none');
    run('b', 40, 'success', 'none');
    run('c', 300, 'timeout', 'docker');
    run('d', 3, 'error');
    monitor.start('still-running');
    const text = await collector.metrics();
    expect(sample(text, 'sandbox_runs_total{outcome="success",backend="none"}')).toBe(2);
    expect(sample(text, 'sandbox_runs_total{outcome="timeout",backend="docker"}')).toBe(1);
    expect(sample(text, 'sandbox_runs_total{outcome="error",backend="unknown"}')).toBe(1);
    expect(sample(text, 'sandbox_overhead_alerts_total{backend="docker"}')).toBe(1);
    expect(sample(text, 'sandbox_overhead_alerts_total{backend="none"}')).toBeUndefined();
    expect(sample(text, 'sandbox_run_duration_seconds_bucket{le="0.025",backend="none"}')).toBe(1);
    expect(sample(text, 'sandbox_run_duration_seconds_bucket{le="0.05",backend="none"}')).toBe(2);
    expect(sample(text, 'sandbox_run_duration_seconds_sum{backend="none"}')).toBeCloseTo(0.06, 12);
    expect(sample(text, 'sandbox_run_duration_seconds_count{backend="docker"}')).toBe(1);
    expect(sample(text, 'sandbox_run_duration_seconds_bucket{le="+Inf",backend="unknown"}')).toBe(1);
    expect(sample(text, 'sandbox_active_runs')).toBe(1);
    expect(text).not.toContain('sandbox_perf_persist');
    collector.dispose();
    expect(monitor.listenerCount('record')).toBe(0);
  } finally {
    clock.mockRestore();
  }
});

test('buckets run from 5 ms to 300 s', async () => {
  const collector = new SandboxPerfCollector();
  collector.observe(record(1));
  const les = [...(await collector.metrics()).matchAll(/_bucket\{le="([^"]+)"/g)].map((m) => m[1]);
  expect(les).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '120', '300', '+Inf']);
});

test("registers into the caller's registry next to its own metrics, and dispose() removes only ours", async () => {
  const registry = new Registry();
  new Counter({ name: 'app_requests_total', help: 'x', registers: [registry] });
  const collector = new SandboxPerfCollector({ registry });
  collector.observe(record(10), { backend: 'bubblewrap' });
  const text = await registry.metrics();
  expect(text).toContain('app_requests_total 0');
  expect(text).toContain('sandbox_runs_total{outcome="success",backend="bubblewrap"} 1');
  expect(() => new SandboxPerfCollector({ registry })).toThrow(/already has a metric named `sandbox_run_duration_seconds`/);
  collector.dispose();
  expect(await registry.metrics()).not.toContain('sandbox_');
  expect(await registry.metrics()).toContain('app_requests_total');
  expect(() => new SandboxPerfCollector({ registry }).dispose()).not.toThrow();
});

test('persistence health is read at scrape time', async () => {
  const health = { queued: 3, written: 10, dropped: 0, failedWrites: 0 };
  const collector = new SandboxPerfCollector({ persistence: { health: () => health } });
  let text = await collector.metrics();
  expect(sample(text, 'sandbox_perf_persist_queued')).toBe(3);
  expect(sample(text, 'sandbox_perf_persist_written_total')).toBe(10);
  Object.assign(health, { queued: 0, written: 25, dropped: 2, failedWrites: 4 });
  text = await collector.metrics();
  expect(sample(text, 'sandbox_perf_persist_queued')).toBe(0);
  expect(sample(text, 'sandbox_perf_persist_written_total')).toBe(25);
  expect(sample(text, 'sandbox_perf_persist_dropped_total')).toBe(2);
  expect(sample(text, 'sandbox_perf_persist_failed_writes_total')).toBe(4);
  expect(text).toContain('# TYPE sandbox_perf_persist_written_total counter');
});

test('a throwing health() does not break the scrape', async () => {
  const collector = new SandboxPerfCollector({
    persistence: {
      health: () => {
        throw new Error('gone');
      },
    },
  });
  collector.observe(record(5));
  await expect(collector.metrics()).resolves.toContain('sandbox_runs_total');
  expect(logs.join('\n')).toMatch(/could not read persistence health.*gone/);
});

test('bad records are dropped and logged once, never thrown into stop()', async () => {
  const collector = new SandboxPerfCollector();
  expect(() => collector.observe(record(Number.NaN))).not.toThrow();
  expect(() => collector.observe(record(-1))).not.toThrow();
  expect(() => collector.observe({ ...record(1), outcome: 'weird' as never })).not.toThrow();
  expect(() => collector.observe(null as never)).not.toThrow();
  expect(await collector.metrics()).not.toMatch(/^sandbox_runs_total\{/m);
  expect(logs.length).toBeGreaterThanOrEqual(1);
  expect(logs[0]).toMatch(/Expected `record.durationMs` to be a finite number >= 0, got `NaN` \(number\)/);
});

test('options are checked early with the usual message shape', () => {
  expect(() => new SandboxPerfCollector({ buckets: [1, 0.5] })).toThrow(/^Expected `buckets` to be a non-empty, strictly increasing array/);
  expect(() => new SandboxPerfCollector({ registry: {} as never })).toThrow(
    /^Expected `registry` to be a prom-client Registry, got `\{\}` \(object\)$/,
  );
  expect(() => new SandboxPerfCollector({ monitor: {} as never })).toThrow(/^Expected `monitor` to be a SandboxPerfMonitor/);
  expect(() => new SandboxPerfCollector({ persistence: {} as never })).toThrow(
    /^Expected `persistence` to be an object with a health\(\) method/,
  );
  expect(() => new SandboxPerfCollector({ maxBackends: 1.5 })).toThrow(/^Expected `maxBackends` to be a finite integer/);
});

test('the request handler serves the exposition in your own server', async () => {
  const collector = new SandboxPerfCollector();
  collector.observe(record(10), { backend: 'none' });
  let scrapes = 0;
  const handler = createMetricsHandler(collector, {
    beforeScrape: () => {
      scrapes++;
    },
  });
  const server = http.createServer((req, res) => (req.url === '/metrics' ? handler(req, res) : res.writeHead(404).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const ok = await fetch(`${base}/metrics`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await ok.text()).toContain('sandbox_runs_total{outcome="success",backend="none"} 1');
    expect(scrapes).toBe(1);
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const failing = createMetricsHandler({ contentType: 'text/plain', metrics: () => Promise.reject(new Error('boom')) });
    server.removeAllListeners('request');
    server.on('request', failing);
    const bad = await fetch(`${base}/metrics`);
    expect(bad.status).toBe(500);
    expect(logs.join('\n')).toMatch(/scrape failed.*boom/);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('bad input: quotes, backslashes, newlines and 10 000 backend names', () => {
  let text: string;
  beforeAll(async () => {
    const collector = new SandboxPerfCollector();
    const nasty = ['quo"te', 'back\\slash', 'new\nline', 'cr\rtab\t', '\u0000nul', 'x'.repeat(5000), 'emoji \ud83d\ude00', 'lone \ud800'];
    for (const backend of nasty) collector.observe(record(12, 'success', false, `id "${backend}"`), { backend });
    for (let i = 0; i < 10_000; i++) collector.observe(record(i % 400, 'error', i % 7 === 0, `sb-${i}\\"\n`), { backend: `b-${i}"\\\n` });
    text = await collector.metrics();
  });

  test('the label values are escaped and bounded', () => {
    expect(text).toContain('backend="quo\\"te"');
    expect(text).toContain('backend="back\\\\slash"');
    expect(text).toContain('backend="new\\nline"');
    expect(text).toContain('backend="cr\uFFFDtab\uFFFD"');
    expect(text).not.toMatch(/sb-\d/);
    const backends = new Set([...text.matchAll(/backend="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]));
    expect(backends.size).toBe(21);
    expect(backends.has('other')).toBe(true);
    expect(Math.max(...[...backends].map((b) => (b as string).length))).toBeLessThanOrEqual(64);
    expect(sample(text, 'sandbox_runs_total{outcome="error",backend="other"}')).toBe(10_000 - 12);
    expect(text.length).toBeLessThan(200_000);
  });

  describeWhen('promtool', promtoolMissing, 'apt-get install prometheus', () => {
    test('promtool check metrics passes with no warning', () => {
      const { status, output } = checkMetrics(text);
      expect(output).toBe('');
      expect(status).toBe(0);
    });
  });
});

describeWhen('promtool on a full exposition', promtoolMissing, 'apt-get install prometheus', () => {
  test('every metric the collector can register passes promtool check metrics', async () => {
    const monitor = new SandboxPerfMonitor({ sink: false });
    const collector = new SandboxPerfCollector({
      monitor,
      persistence: { health: () => ({ queued: 0, written: 1, dropped: 0, failedWrites: 0 }) },
    });
    monitor.start('x');
    monitor.stop('x', { outcome: 'success', details: { backend: 'none' } });
    const text = await collector.metrics();
    for (const name of Object.values(PROMETHEUS_METRIC_NAMES)) expect(text).toContain(`# TYPE ${name.replace(/_total$/, '')}`);
    expect(checkMetrics(text)).toEqual({ status: 0, output: '' });
  });
});
