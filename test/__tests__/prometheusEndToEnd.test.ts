import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { describeWhen } from '../support/e2e';
import { percentile } from '../../src/stats/percentile';
import { RUN_DURATION_BUCKETS_SECONDS } from '../../src/export/buckets';
import { firstLine, spawnTs, stopChild } from '../support/spawnTs';
import { checkMetrics, prometheus, promtool } from '../support/tools';

type Outcome = 'success' | 'timeout' | 'error';
interface Spec {
  name: string;
  backend: string;
  maxWorkloads?: number;
  labels?: Record<string, string>;
  runs: { durationMs: number; outcome: Outcome; workload?: string; commandMs?: number }[];
}

/*
 * Three monitor processes with known, deterministic durations (a fixed pseudo-random sequence
 * spread over 3 ms … 9 s), so the exact p95 across all of them is known before Prometheus sees
 * a single sample.
 */
function specs(): Spec[] {
  // Park–Miller: products stay below 2^53, so the sequence is exact in doubles.
  let seed = 42;
  const next = (): number => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
  const make = (name: string, backend: string, count: number, minMs: number, maxMs: number): Spec => ({
    name,
    backend,
    runs: Array.from({ length: count }, (_, i) => ({
      durationMs: Math.round(minMs * (maxMs / minMs) ** next()),
      outcome: i % 10 === 9 ? 'error' : i % 10 === 8 ? 'timeout' : 'success',
    })),
  });
  // Workloads (issue 14): alpha cycles through five with room for two (the first two keep their
  // key, the rest fold into `other`); beta runs one timed workload; gamma names none.
  const alpha = make('alpha', 'none', 120, 3, 80);
  alpha.maxWorkloads = 2;
  alpha.runs.forEach((run, i) => (run.workload = `w${i % 5}`));
  const beta = make('beta', 'bubblewrap', 90, 20, 900);
  beta.labels = { 'cmd-beta': 'make beta' };
  beta.runs.forEach((run) => Object.assign(run, { workload: 'cmd-beta', commandMs: run.durationMs - 10 }));
  return [alpha, beta, make('gamma', 'docker', 60, 300, 9000)];
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface QueryResult {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

const missing = !prometheus ? 'prometheus is not on PATH' : !promtool ? 'promtool is not on PATH' : false;

describeWhen('a real Prometheus scraping three monitor processes', missing, 'apt-get install prometheus', () => {
  jest.setTimeout(90_000);
  const started: ChildProcess[] = [];
  let dir: string;
  let promUrl: string;
  let targets: string[];
  const all = specs();
  const durationsMs = all.flatMap((s) => s.runs.map((r) => r.durationMs));

  async function query(promql: string): Promise<QueryResult['data']['result']> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as QueryResult;
    if (body.status !== 'success') throw new Error(`query ${promql} failed: ${JSON.stringify(body)}`);
    return body.data.result;
  }

  /** Polls until `check` accepts the query result (new targets need ~5-6 s before their first sample). */
  async function until(
    promql: string,
    check: (r: QueryResult['data']['result']) => boolean,
    ms = 20_000,
  ): Promise<QueryResult['data']['result']> {
    const deadline = Date.now() + ms;
    let last: QueryResult['data']['result'] = [];
    for (;;) {
      try {
        last = await query(promql);
        if (check(last)) return last;
      } catch {
        // Prometheus still starting
      }
      if (Date.now() > deadline) throw new Error(`${promql} never satisfied the check; last result ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-prom-'));
    const entry = path.resolve(__dirname, '..', '..', 'src', 'export', '__tests__', 'support', 'monitorProcess.ts');
    const children = all.map((spec) => spawnTs(entry, { SANDBOX_PERF_CHILD_SPEC: JSON.stringify(spec) }));
    started.push(...children);
    // Three children transpiling the sources at once take ~19 s on a loaded 2-CPU runner: a timeout is for hangs.
    const lines = await Promise.all(children.map((c) => firstLine(c, 60_000)));
    targets = lines.map((line) => `127.0.0.1:${(JSON.parse(line) as { port: number }).port}`);

    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const rulesFile = path.resolve(__dirname, '..', '..', 'ops', 'prometheus-alerts.yml');
    fs.writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(rulesFile)}`,
        'scrape_configs:',
        '  - job_name: sandbox-perf',
        '    static_configs:',
        `      - targets: ${JSON.stringify(targets)}`,
        '',
      ].join('\n'),
    );
    const server = spawn(
      prometheus as string,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    server.stderr.on('data', (c: Buffer) => (log = `${log}${c.toString()}`.slice(-4000)));
    server.once('exit', (code) => {
      if (code) process.stderr.write(`prometheus exited with ${code}:\n${log}\n`);
    });
    started.push(server);
  });

  afterAll(async () => {
    // Only what this test started, each by PID.
    await Promise.all(started.map((child) => stopChild(child)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every target is up', async () => {
    const up = await until('up{job="sandbox-perf"}', (r) => r.length === 3 && r.every((s) => s.value[1] === '1'));
    expect(up.map((s) => s.metric.instance).sort()).toEqual([...targets].sort());
  });

  test('sum(sandbox_runs_total) equals the runs made', async () => {
    const total = durationsMs.length;
    const result = await until('sum(sandbox_runs_total)', (r) => r.length === 1 && Number(r[0]?.value[1]) === total);
    expect(Number(result[0]?.value[1])).toBe(270);
    const byBackend = await query('sum by (backend) (sandbox_runs_total)');
    expect(Object.fromEntries(byBackend.map((s) => [s.metric.backend, Number(s.value[1])]))).toEqual({
      none: 120,
      bubblewrap: 90,
      docker: 60,
    });
    const errors = await query('sum(sandbox_runs_total{outcome="error"})');
    expect(Number(errors[0]?.value[1])).toBe(all.reduce((n, s) => n + s.runs.filter((r) => r.outcome === 'error').length, 0));
    const alerts = await query('sum(sandbox_overhead_alerts_total)');
    expect(Number(alerts[0]?.value[1] ?? 0)).toBe(durationsMs.filter((d) => d > 5000).length);
  });

  test('histogram_quantile(0.95) falls in the bucket that holds the exact p95', async () => {
    const exactP95 = percentile(durationsMs, 0.95) / 1000;
    const upper = RUN_DURATION_BUCKETS_SECONDS.find((b) => b >= exactP95) as number;
    const lower = RUN_DURATION_BUCKETS_SECONDS[RUN_DURATION_BUCKETS_SECONDS.indexOf(upper) - 1] ?? 0;
    await until('sum(sandbox_run_duration_seconds_count)', (r) => Number(r[0]?.value[1]) === durationsMs.length);
    const result = await query('histogram_quantile(0.95, sum by (le) (sandbox_run_duration_seconds_bucket))');
    const estimate = Number(result[0]?.value[1]);
    expect(estimate).toBeGreaterThan(lower);
    expect(estimate).toBeLessThanOrEqual(upper);
    expect(exactP95).toBeGreaterThan(lower);
    expect(exactP95).toBeLessThanOrEqual(upper);
  });

  test('workload label values: keyed by the workload key, bounded per process to the busiest maxWorkloads plus other', async () => {
    await until('sum(sandbox_runs_total)', (r) => Number(r[0]?.value[1]) === durationsMs.length);
    const byWorkload = await query('sum by (workload) (sandbox_runs_total)');
    expect(Object.fromEntries(byWorkload.map((s) => [s.metric.workload ?? '(none)', Number(s.value[1])]))).toEqual({
      w0: 24,
      w1: 24,
      other: 72,
      'cmd-beta': 90,
      '(none)': 60,
    });
    const alpha = await query('count(count by (workload) (sandbox_runs_total{backend="none"}))');
    expect(Number(alpha[0]?.value[1])).toBe(3);
    // The readable label joins in from the info metric.
    const joined = await query(
      'sum by (workload, label) (sandbox_overhead_seconds_count * on (instance, workload) group_left (label) sandbox_workload_info)',
    );
    expect(joined.map((s) => [s.metric.workload, s.metric.label, Number(s.value[1])])).toEqual([['cmd-beta', 'make beta', 90]]);
    // Every beta run was timed with commandMs = durationMs − 10: the overhead is 10 ms each.
    const overhead = await query('sum(sandbox_overhead_seconds_sum{workload="cmd-beta"})');
    expect(Number(overhead[0]?.value[1])).toBeCloseTo(0.9, 6);
  });

  test('Prometheus loaded the alert rules from ops/', async () => {
    const res = await fetch(`${promUrl}/api/v1/rules`);
    const body = (await res.json()) as { data: { groups: { name: string; rules: { name: string; health: string }[] }[] } };
    const rules = body.data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual([
      'SandboxCanarySlowdownHigh',
      'SandboxCanaryStalled',
      'SandboxIsolationCostHigh',
      'SandboxIsolationOverheadP95High',
      'SandboxOverheadAlertRateHigh',
      'SandboxPerfPersistenceFailing',
      'SandboxPerfRecordsDropped',
      'SandboxRunP95AboveThreshold',
    ]);
    expect(rules.every((r) => r.health !== 'err')).toBe(true);
  });

  test("each process's exposition passes promtool check metrics with no warning", async () => {
    for (const target of targets) {
      const text = await (await fetch(`http://${target}/metrics`)).text();
      expect(checkMetrics(text)).toEqual({ status: 0, output: '' });
    }
  });
});
