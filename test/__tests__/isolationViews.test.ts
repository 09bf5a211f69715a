import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { storeRuns, type StoredRunInput } from '../support/storeRuns';
import { tempDir } from '../support/tempDir';
import { describeWhen } from '../support/e2e';
import { HistoryReader } from '../../src/state/read/HistoryReader';
import { SummaryWorker } from '../../src/export/dashboard';
import { startServe, type RunningServe } from '../../src/export/server';
import { SandboxPerfOtelBridge } from '../../src/export/otel';
import { OTEL_ISOLATION_NAMES } from '../../src/export/otel/isolationGauges';
import { ISOLATION_METRIC_NAMES } from '../../src/export/prometheus';
import { buildHistoryView } from '../../src/cli/historyView';
import { reportText } from '../../src/cli/format/reportText';
import { colours } from '../../src/cli/terminal';
import type { IsolationCost } from '../../src/stats/isolationCost';

/*
 * Issue 26.1 in every history view: a gVisor-like backend (little time around the command, much
 * inside it) ranks as the most costly in `report`, the Prometheus and OpenTelemetry gauges and the
 * dashboard's per-workload table, though its fixed part (the old "overhead") is the smallest of the
 * sandboxes. A real SQLite history written through the writer's own path; serve's summary thread.
 */
const WORKLOAD = 'cmd-0123456789ab';
const PLAN = { none: { command: 234, fixed: 7 }, docker: { command: 240, fixed: 455 }, gvisor: { command: 1965, fixed: 41 } } as const;
const BACKENDS = Object.keys(PLAN) as (keyof typeof PLAN)[];

function gvisorLikeRuns(): StoredRunInput[] {
  const t0 = Date.now() - 3_600_000;
  const runs: StoredRunInput[] = [];
  for (let round = 0; round < 8; round++) {
    BACKENDS.forEach((backend, k) => {
      const commandMs = PLAN[backend].command + ((round * 7 + k * 3) % 5);
      runs.push({
        record: {
          sandboxId: `iso-${backend}-${round}`,
          startTime: t0 + (round * 3 + k) * 1000,
          durationMs: commandMs + PLAN[backend].fixed + (round % 3),
          outcome: 'success',
          alertFired: false,
        },
        details: { backend, workload: WORKLOAD, workloadLabel: 'npm start', commandMs },
      });
    });
  }
  return runs;
}

function expectConsistent(cost: IsolationCost | null | undefined): void {
  expect(cost).not.toBeNull();
  if (!cost) return;
  expect(Math.abs(cost.total - (cost.fixed + cost.inCommand))).toBeLessThan(1e-6);
  expect(cost.low).toBeLessThanOrEqual(cost.total);
  expect(cost.total).toBeLessThanOrEqual(cost.high);
}

let dir: string;
let file: string;
beforeAll(() => {
  dir = tempDir('isolation-views');
  file = path.join(dir, 'state.db');
  storeRuns(file, gvisorLikeRuns());
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('report: isolationMs per backend from the history, consistent, gvisor listed first though its fixed part is small', () => {
  const reader = new HistoryReader(file);
  try {
    const [workload] = reader.byWorkload();
    for (const b of workload?.backends ?? []) expectConsistent(b.isolationMs);
    const of = (name: string) => workload?.backends.find((b) => b.backend === name)?.isolationMs;
    expect(of('gvisor')?.fixed).toBeLessThan(of('docker')?.fixed ?? 0);
    expect(of('gvisor')?.method).toBe('unpaired');
    // none is its own reference: nothing inside the command, no interval made up for it.
    expect(of('none')?.intervals.inCommand).toMatchObject({ estimate: 0, low: 0, high: 0 });
    // A --sandbox filter keeps none's command times as the reference.
    expect(reader.byWorkload({ backend: 'gvisor' })[0]?.backends[0]?.isolationMs?.total).toBeCloseTo(of('gvisor')?.total ?? NaN, 9);
    const text = reportText(buildHistoryView(reader, file, { buckets: 5 }), colours({ isTTY: false } as never, {}));
    const rows = text.split('\n').filter((line) => /^ {4}(none|docker|gvisor) /.test(line));
    expect(rows.map((line) => line.trim().split(' ')[0])).toEqual(['gvisor', 'docker', 'none']);
    expect(rows[0]).toMatch(
      /fixed 4\d\.\d\d ms .* isolation total \+1\.7\d\d s \[\+1\.7\d\d s … \+1\.7\d\d s\] = fixed \+4\d\.\d\d ms \+ in command \+1\.73\d s/,
    );
  } finally {
    reader.close();
  }
});

test('OpenTelemetry: the sandbox.isolation.* gauges, read through the summary thread, rank gvisor first', async () => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const worker = new SummaryWorker(file);
  const bridge = new SandboxPerfOtelBridge({ meter: provider.getMeter('test'), isolation: () => worker.isolation() });
  try {
    await reader.forceFlush();
    const byName = new Map<string, MetricData>();
    for (const rm of exporter.getMetrics()) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) byName.set(m.descriptor.name, m);
    const values = (name: string): Map<string, number> =>
      new Map((byName.get(name)?.dataPoints ?? []).map((p) => [String(p.attributes['sandbox.backend']), p.value as number]));
    const total = values(OTEL_ISOLATION_NAMES.total);
    expect([...total.entries()].sort((a, b) => b[1] - a[1]).map(([backend]) => backend)).toEqual(['gvisor', 'docker', 'none']);
    const fixed = values(OTEL_ISOLATION_NAMES.fixed);
    const inCommand = values(OTEL_ISOLATION_NAMES.inCommand);
    for (const backend of BACKENDS) {
      expect(total.get(backend)).toBeCloseTo((fixed.get(backend) ?? NaN) + (inCommand.get(backend) ?? NaN), 9);
      expect(values(OTEL_ISOLATION_NAMES.low).get(backend)).toBeLessThanOrEqual(total.get(backend) ?? NaN);
      expect(values(OTEL_ISOLATION_NAMES.high).get(backend)).toBeGreaterThanOrEqual(total.get(backend) ?? NaN);
    }
    expect(byName.get(OTEL_ISOLATION_NAMES.total)?.dataPoints[0]?.attributes).toMatchObject({
      'sandbox.workload': WORKLOAD,
      'sandbox.workload.label': 'npm start',
    });
  } finally {
    bridge.dispose();
    await provider.shutdown();
    await worker.close();
  }
});

describe('serve', () => {
  let server: RunningServe;
  beforeAll(async () => {
    server = await startServe({ port: 0, dbPath: file });
  });
  afterAll(async () => {
    await (server as RunningServe | undefined)?.close();
  });

  test('/metrics: sandbox_isolation_cost_seconds per workload means the total, gvisor the highest', async () => {
    const text = await (await fetch(new URL('metrics', server.url))).text();
    const series = (name: string): Map<string, number> => {
      const out = new Map<string, number>();
      for (const m of text.matchAll(new RegExp(`^${name}\\{backend="(\\w+)",workload="${WORKLOAD}"\\} (\\S+)$`, 'gm')))
        out.set(m[1] as string, Number(m[2]));
      return out;
    };
    const N = ISOLATION_METRIC_NAMES;
    const total = series(N.total);
    expect([...total.entries()].sort((a, b) => b[1] - a[1]).map(([backend]) => backend)).toEqual(['gvisor', 'docker', 'none']);
    expect(series(N.fixed).get('gvisor')).toBeLessThan(series(N.fixed).get('docker') ?? 0);
    for (const backend of BACKENDS) {
      expect(total.get(backend)).toBeCloseTo((series(N.fixed).get(backend) ?? NaN) + (series(N.inCommand).get(backend) ?? NaN), 6);
      expect(series(N.low).get(backend)).toBeLessThanOrEqual(total.get(backend) ?? NaN);
      expect(series(N.high).get(backend)).toBeGreaterThanOrEqual(total.get(backend) ?? NaN);
    }
  });

  const CHROMIUM = '/usr/bin/chromium';
  describeWhen(
    'the dashboard in headless Chromium',
    !fs.existsSync(CHROMIUM) && `${CHROMIUM} is missing`,
    'apt-get install chromium',
    () => {
      jest.setTimeout(60_000);
      let browser: Browser;
      beforeAll(async () => {
        browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
        });
      });
      afterAll(async () => {
        await (browser as Browser | undefined)?.close();
      });

      test('the per-workload table shows the whole cost and lists gvisor first after none', async () => {
        const page = await browser.newPage();
        await page.goto(server.url);
        await page.waitForSelector('body[data-loaded="true"]');
        const rows = page.locator(`#workloads tr[data-workload="${WORKLOAD}"]`);
        const order: (string | null)[] = [];
        for (let i = 0; i < (await rows.count()); i++) order.push(await rows.nth(i).getAttribute('data-backend'));
        expect(order).toEqual(['none', 'gvisor', 'docker']);
        const header = (await page.locator('#workloads tr').first().textContent()) ?? '';
        expect(header).toContain('Isolation cost');
        expect(header).not.toMatch(/Overhead \(median\)/);
        for (const backend of BACKENDS) {
          const cell = page.locator(`#workloads tr[data-backend="${backend}"] td[data-col="isolation"]`);
          const [total, fixed, inCommand, low, high] = await Promise.all(
            ['data-total', 'data-fixed', 'data-in-command', 'data-low', 'data-high'].map(async (a) => Number(await cell.getAttribute(a))),
          );
          expect(total).toBeCloseTo((fixed as number) + (inCommand as number), 6);
          expect(low).toBeLessThanOrEqual(total as number);
          expect(high).toBeGreaterThanOrEqual(total as number);
        }
        expect(await page.locator('#workloads tr[data-backend="gvisor"] td[data-col="isolation"]').textContent()).toMatch(
          /^\+1\.7\d+ s \[/,
        );
        await page.close();
      });
    },
  );
});
