import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describeWhen } from '../support/e2e';
import { SandboxPerfMonitor } from '../../src/sandbox/SandboxPerfMonitor';
import { SandboxCanaryCollector, SandboxIsolationCollector, SandboxPerfCollector, type CanarySource } from '../../src/export/prometheus';
import { promtool, promtoolMissing } from '../support/tools';

const OPS = path.resolve(__dirname, '..', '..', 'ops');

/** Sample names (…_bucket, …_total, …) of an exposition with every metric the collector can register. */
async function exposedNames(): Promise<Set<string>> {
  const monitor = new SandboxPerfMonitor({ sink: false });
  const collector = new SandboxPerfCollector({
    monitor,
    persistence: { health: () => ({ queued: 0, written: 0, dropped: 0, failedWrites: 0 }) },
  });
  monitor.start('x');
  monitor.stop('x', { outcome: 'timeout', details: { backend: 'none' } });
  // A run whose command was timed: the overhead histogram has a sample too.
  monitor.start('t');
  monitor.stop('t', { outcome: 'success', details: { backend: 'none', workload: 'w', commandMs: 0 } });
  collector.observe({ sandboxId: 'y', startTime: 0, durationMs: 9000, outcome: 'success', alertFired: true });
  // A canary's latest round (startCanary's shape) on the same registry: its gauges and counters too.
  const canary: CanarySource = {
    workload: { key: 'cmd-99dec21295ce', label: 'node -e 0' },
    everyMs: 600_000,
    stats: { rounds: 2, skipped: 1, failed: 0, cpuMs: 800 },
    latest: {
      round: 2,
      startedAt: 1_700_000_000_000,
      wallMs: 1900,
      cpu: { processMs: 300, childrenMs: 100, containersMs: 0, totalMs: 400 },
      runs: 5,
      baselineFailures: 0,
      error: null,
      backends: [
        {
          backend: 'gvisor',
          failures: 0,
          ratio: 1.6,
          interval: { low: 1.5, high: 1.7 },
          basis: 'command',
          pairs: 5,
          medianMs: 40,
          baselineMedianMs: 25,
          fixedCostMs: 95,
        },
      ],
    },
  };
  const canaries = new SandboxCanaryCollector({ registry: collector.registry, canary });
  // The whole cost of isolation from a history (serve reads it on its summary thread): one series.
  const isolationMs = { fixed: 95, inCommand: 400, total: 495, low: 480, high: 510 };
  const isolation = new SandboxIsolationCollector({
    registry: collector.registry,
    source: () => [{ workload: 'w', label: 'w', backend: 'gvisor', isolationMs: isolationMs as never }],
  });
  const text = await collector.metrics();
  isolation.dispose();
  canaries.dispose();
  collector.dispose();
  return new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/[{ ]/)[0] as string),
  );
}

/** Metric names a PromQL expression reads: identifiers starting with sandbox_ (labels never do here). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bsandbox_[a-z0-9_]+/g)].map((m) => m[0]);
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
}

describe('ops/grafana-dashboard.json', () => {
  const dashboard = JSON.parse(fs.readFileSync(path.join(OPS, 'grafana-dashboard.json'), 'utf8')) as {
    uid: string;
    panels: Panel[];
    templating: { list: { name: string; definition?: string }[] };
  };
  const panels = dashboard.panels.filter((p) => p.type !== 'row');

  test('every metric its queries read is in the exposition', async () => {
    const names = await exposedNames();
    const exprs = [
      ...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.map((v) => v.definition ?? ''),
    ];
    const used = new Set(exprs.flatMap(metricNames));
    expect(used.size).toBeGreaterThanOrEqual(8);
    expect([...used].filter((n) => !names.has(n))).toEqual([]);
    // And the other way round: every exported metric is on the dashboard.
    const families = new Set([...names].map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    const usedFamilies = new Set([...used].map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    expect([...families].filter((f) => !usedFamilies.has(f))).toEqual([]);
  });

  test('panels have unique ids, a query each, and use the datasource variable', () => {
    expect(dashboard.uid).toBe('sandbox-perf');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(panel.targets?.length).toBeGreaterThan(0);
      expect(panel.datasource?.uid).toBe('${datasource}');
      for (const target of panel.targets ?? []) expect(target.expr).toMatch(/sandbox_/);
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
    }
  });
});

describe('ops/prometheus-alerts.yml', () => {
  const rules = fs.readFileSync(path.join(OPS, 'prometheus-alerts.yml'), 'utf8');

  test('every metric its rules read is in the exposition', async () => {
    const names = await exposedNames();
    const used = new Set(
      metricNames(
        rules
          .split('\n')
          .filter((l) => !l.trimStart().startsWith('#'))
          .join('\n'),
      ),
    );
    expect(used.size).toBeGreaterThanOrEqual(5);
    expect([...used].filter((n) => !names.has(n))).toEqual([]);
  });

  describeWhen('promtool', promtoolMissing, 'apt-get install prometheus', () => {
    test('promtool check rules passes', () => {
      const result = spawnSync(promtool as string, ['check', 'rules', 'prometheus-alerts.yml'], { cwd: OPS, encoding: 'utf8' });
      expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS: 8 rules found');
      expect(result.status).toBe(0);
    });

    test('promtool test rules: the alerts fire (and only) when they should', () => {
      const result = spawnSync(promtool as string, ['test', 'rules', 'prometheus-alerts.test.yml'], { cwd: OPS, encoding: 'utf8' });
      expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
      expect(result.status).toBe(0);
    });
  });
});
