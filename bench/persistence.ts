import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { SandboxPerfMonitor } from '../src/sandbox/SandboxPerfMonitor';
import { StateDatabase } from '../src/state/StateDatabase';
import { HistoryReader } from '../src/state/read/HistoryReader';

/*
 * Persistence, as the persistence issue asks: sustained rows/s for 1 million records through
 * StateDatabase into a real file, with the caller yielding every 1 000 records as a runner does;
 * the nanoseconds persistence adds to stop(); the p99 event-loop delay meanwhile. Then the history
 * report over that same million rows, for all of them and, once each run is given one of four
 * backends, for one backend and for each.
 *
 * Standalone: npx tsc --outDir /tmp/sandbox-perf-bench && node /tmp/sandbox-perf-bench/bench/persistence.js
 */

const ROWS = 1_000_000;
const YIELD_EVERY = 1000;
const PAIRS_PER_REP = 20_000;
const REPS = 21;

const BACKENDS = ['none', 'unshare', 'bubblewrap', 'docker'];

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Wall time of `PAIRS_PER_REP` start/stop pairs, ns per pair. */
function timePairs(monitor: SandboxPerfMonitor, tag: string): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < PAIRS_PER_REP; i++) {
    const id = `${tag}${i}`;
    monitor.start(id);
    monitor.stop(id, { outcome: 'success' });
  }
  return Number(process.hrtime.bigint() - t0) / PAIRS_PER_REP;
}

async function sustained(file: string): Promise<{ rowsPerSecond: number; loopDelayP99Ms: number; loopDelayMaxMs: number }> {
  const db = new StateDatabase({ path: file, handleExit: false, maxQueue: ROWS });
  const monitor = new SandboxPerfMonitor({ sink: db, alertThresholdMs: 1 });
  // Start the writer thread and create the file before the clock starts.
  monitor.start('warm');
  monitor.stop('warm', { outcome: 'success' });
  await db.flush();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ROWS; i++) {
    const id = `run-${i}`;
    monitor.start(id);
    monitor.stop(id, { outcome: 'success' });
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToLoop();
  }
  await db.flush();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  delay.disable();
  const health = db.health();
  await db.close();
  if (health.written !== ROWS + 1 || health.dropped !== 0) {
    throw new Error(`persistence bench: expected ${ROWS + 1} rows written, got ${health.written} (dropped ${health.dropped})`);
  }
  return { rowsPerSecond: ROWS / seconds, loopDelayP99Ms: delay.percentile(99) / 1e6, loopDelayMaxMs: delay.max / 1e6 };
}

async function stopAdded(file: string): Promise<{ addedNs: number; withNs: number; withoutNs: number }> {
  const db = new StateDatabase({ path: file, handleExit: false });
  const persisted = new SandboxPerfMonitor({ sink: db });
  const inMemory = new SandboxPerfMonitor({ sink: false });
  timePairs(persisted, 'w');
  timePairs(inMemory, 'w');
  await db.flush();
  const added: number[] = [];
  const withDb: number[] = [];
  const without: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    // Alternate the order so that neither side always runs on a warmer cache.
    const first = rep % 2 === 0;
    const a = first ? timePairs(persisted, `p${rep}-`) : 0;
    const b = timePairs(inMemory, `m${rep}-`);
    const a2 = first ? a : timePairs(persisted, `p${rep}-`);
    added.push(a2 - b);
    withDb.push(a2);
    without.push(b);
    // Let the writer drain between repetitions, as a runner's idle time would.
    await db.flush();
  }
  await db.close();
  return { addedNs: median(added), withNs: median(withDb), withoutNs: median(without) };
}

/**
 * Gives every run of the file a backend, a quarter each by id, the way a runner's details row
 * would (schema 4: the details carry copies of the run's time, duration and alert). One SQL
 * statement rather than the writer: this times the reads, and the bare runs were written above.
 */
function assignBackends(file: string): void {
  const db = new Database(file);
  try {
    const backend = `CASE id % ${BACKENDS.length} ${BACKENDS.map((b, i) => `WHEN ${i} THEN '${b}'`).join(' ')} END`;
    db.exec(
      `INSERT INTO sandbox_run_details (record_id, backend, start_time, duration_ms, alert_fired)
         SELECT id, ${backend}, start_time, duration_ms, alert_fired FROM sandbox_perf_records`,
    );
  } finally {
    db.close();
  }
}

function timeMs(fn: () => unknown): number {
  fn();
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(runs);
}

export async function persistenceBench(): Promise<{
  rowsPerSecond: number;
  stopAddedNsMedian: number;
  loopDelayP99Ms: number;
  notes: string[];
  markdown: string;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-bench-'));
  try {
    const file = path.join(dir, 'state.db');
    const run = await sustained(file);
    const stop = await stopAdded(path.join(dir, 'stop.db'));
    const reader = new HistoryReader(file);
    const since = reader.report().count > 0 ? Date.now() - 3_600_000 : 0;
    const reportMs = timeMs(() => reader.report());
    const windowMs = timeMs(() => reader.report({ since, until: Date.now() + 1 }));
    assignBackends(file);
    const backendMs = timeMs(() => reader.report({ backend: 'docker' }));
    const byBackendMs = timeMs(() => reader.byBackend());
    reader.close();
    const notes = [
      `${ROWS.toLocaleString('en-US')} records through StateDatabase (batches of 1 000, a worker thread, WAL, synchronous=NORMAL), yielding every ${YIELD_EVERY}: ${Math.round(run.rowsPerSecond).toLocaleString('en-US')} rows/s, loop delay p99 ${run.loopDelayP99Ms.toFixed(2)} ms, max ${run.loopDelayMaxMs.toFixed(2)} ms`,
      `start/stop pair: ${stop.withNs.toFixed(0)} ns with StateDatabase, ${stop.withoutNs.toFixed(0)} ns with sink=false; added ${stop.addedNs.toFixed(1)} ns (median of ${REPS} interleaved repetitions of ${PAIRS_PER_REP.toLocaleString('en-US')} pairs)`,
      `HistoryReader over those ${ROWS.toLocaleString('en-US')} rows: report() ${reportMs.toFixed(1)} ms, report({ since, until }) ${windowMs.toFixed(1)} ms; ` +
        `with ${BACKENDS.length} backends of ${(ROWS / BACKENDS.length).toLocaleString('en-US')} runs each, report({ backend }) ${backendMs.toFixed(1)} ms, byBackend() ${byBackendMs.toFixed(1)} ms (median of 5)`,
    ];
    const markdown = [
      '| persistence | measured | target |',
      '|---|---|---|',
      `| sustained rows/s (1 M records) | ${Math.round(run.rowsPerSecond).toLocaleString('en-US')} | >= 200 000 |`,
      `| ns added to stop() (median) | ${stop.addedNs.toFixed(1)} | <= 50 |`,
      `| event-loop delay p99 during the run | ${run.loopDelayP99Ms.toFixed(2)} ms | <= 5 ms |`,
      `| history report(), 1 M rows | ${reportMs.toFixed(1)} ms | <= 100 ms |`,
      `| history report({ backend }), 1 M rows | ${backendMs.toFixed(1)} ms | <= 100 ms |`,
      '',
      ...notes.map((n) => `- ${n}`),
    ].join('\n');
    return { rowsPerSecond: run.rowsPerSecond, stopAddedNsMedian: stop.addedNs, loopDelayP99Ms: run.loopDelayP99Ms, notes, markdown };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  persistenceBench().then(
    (result) => {
      for (const note of result.notes) console.log(note);
      console.log(
        JSON.stringify({
          rowsPerSecond: result.rowsPerSecond,
          stopAddedNsMedian: result.stopAddedNsMedian,
          loopDelayP99Ms: result.loopDelayP99Ms,
        }),
      );
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
