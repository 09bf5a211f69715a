import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { StateDatabase } from '../src/state/StateDatabase';
import { formatCount, lognormalDurations, markdownTable, summarize, type ScenarioResult } from './harness';

const RUNS = 100_000;
const CONCURRENT = 200;
const BACKENDS = ['none', 'unshare', 'bubblewrap', 'docker'];

/** A history of RUNS lognormal runs over the last 30 days, four backends, written through StateDatabase. */
async function seed(file: string): Promise<void> {
  const durations = lognormalDurations(RUNS, 11);
  const db = new StateDatabase({ path: file, handleExit: false });
  const start = Date.now() - 30 * 86_400_000;
  for (let i = 0; i < RUNS; i++) {
    const durationMs = Math.round(durations[i] as number);
    const record = {
      sandboxId: `run-${i}`,
      startTime: start + i * 25_000,
      durationMs,
      outcome: 'success' as const,
      alertFired: durationMs > 5000,
    };
    db.insert('sandbox_perf_records', record, { backend: BACKENDS[i % BACKENDS.length] as string, phases: { run: durationMs * 0.9 } });
  }
  await db.close();
}

function startChild(mode: 'worker' | 'loop', file: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'serveChild.js'), mode, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^(http:\S+)\n/.exec(out);
      if (line) resolve({ child, url: line[1] as string });
    });
    child.once('exit', (code) => reject(new Error(`the ${mode} server exited (${code}) before listening`)));
  });
}

/** One request on its own keep-alive agent; resolves with the latency in ms. */
function timedGet(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - t));
      })
      .on('error', reject);
  });
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

interface ModeFigures {
  idleMedianMs: number;
  loadP50Ms: number;
  loadP99Ms: number;
  loadMaxMs: number;
  scrapes: number;
  summariesSeconds: number;
}

/** /metrics latency idle, then while CONCURRENT /api/summary requests (distinct windows, as page loads send) are answered. */
async function measure(mode: 'worker' | 'loop', file: string): Promise<ModeFigures> {
  const { child, url } = await startChild(mode, file);
  const metricsAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const summaryAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT });
  try {
    await timedGet(`${url}metrics`, metricsAgent);
    await timedGet(`${url}api/summary`, summaryAgent);
    const idle: number[] = [];
    for (let i = 0; i < 30; i++) idle.push(await timedGet(`${url}metrics`, metricsAgent));
    const t0 = performance.now();
    let pending = CONCURRENT;
    const summaries = Array.from({ length: CONCURRENT }, (_, i) =>
      timedGet(`${url}api/summary?since=${Date.now() - 7 * 86_400_000 - i}`, summaryAgent).finally(() => pending--),
    );
    const load: number[] = [];
    while (pending > 0 && load.length < 2000) {
      load.push(await timedGet(`${url}metrics`, metricsAgent));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(summaries);
    const summariesSeconds = (performance.now() - t0) / 1000;
    load.sort((a, b) => a - b);
    return {
      idleMedianMs: summarize(idle).median,
      loadP50Ms: percentile(load, 0.5),
      loadP99Ms: percentile(load, 0.99),
      loadMaxMs: load[load.length - 1] ?? Number.NaN,
      scrapes: load.length,
      summariesSeconds,
    };
  } finally {
    metricsAgent.destroy();
    summaryAgent.destroy();
    child.kill('SIGTERM');
  }
}

/**
 * `sandbox-perf serve` on a history of 100 000 runs: the latency of a Prometheus scrape while 200
 * dashboard requests are being answered, with the queries on their own thread (what serve does)
 * and, as the baseline of the same run, on the event loop.
 */
export async function serveBench(): Promise<ScenarioResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-bench-serve-'));
  try {
    const file = path.join(dir, 'state.db');
    await seed(file);
    const worker = await measure('worker', file);
    const loop = await measure('loop', file);
    const ms = (v: number): string => `${v.toFixed(1)} ms`;
    const rows = [
      ['queries on their thread (serve)', worker],
      ['baseline: queries on the event loop', loop],
    ].map(([name, f]) => {
      const x = f as ModeFigures;
      return [
        name as string,
        ms(x.idleMedianMs),
        ms(x.loadP50Ms),
        ms(x.loadP99Ms),
        ms(x.loadMaxMs),
        formatCount(x.scrapes),
        `${x.summariesSeconds.toFixed(1)} s`,
      ];
    });
    const headers = [
      'server',
      '/metrics idle (median)',
      'under load p50',
      'under load p99',
      'max',
      'scrapes',
      `${CONCURRENT} summaries took`,
    ];
    console.log(markdownTable(headers, rows));
    const ratio = loop.loadP99Ms / worker.loadP99Ms;
    return {
      title: `serve: /metrics under ${CONCURRENT} concurrent dashboard requests`,
      markdown: [
        `A history of ${formatCount(RUNS)} runs (4 backends, lognormal durations); the server in its own process. ${CONCURRENT}`,
        '`GET /api/summary` with distinct windows (as page loads send them) are fired at once; meanwhile `/metrics` is scraped',
        'one request at a time, 5 ms apart, until the last summary is answered (at most 2 000 scrapes). Same run, same file, both servers.',
        '',
        markdownTable(headers, rows, [false, true, true, true, true, true, true]),
        '',
        `p99 of a scrape under that load: ${ms(worker.loadP99Ms)} with the queries on their thread, ${ms(loop.loadP99Ms)} on the`,
        `event loop (${Number.isFinite(ratio) ? ratio.toFixed(0) : 'n/a'} × longer).`,
      ].join('\n'),
      targets: [
        {
          name: `/metrics p99 under ${CONCURRENT} concurrent /api/summary, ${formatCount(RUNS)} runs`,
          value: worker.loadP99Ms,
          op: '<=',
          limit: 50,
          unit: 'ms',
        },
      ],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
