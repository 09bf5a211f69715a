import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SandboxRunDetails } from '../../../sandbox/types';
import { storeRuns } from '../../../../test/support/storeRuns';
import { HistoryFeed } from '../HistoryFeed';
import { SandboxPerfCollector } from '../SandboxPerfCollector';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-feed-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("serve's feed carries each stored run's workload, readable label and overhead into the collector", async () => {
  const file = path.join(dir, 'state.db');
  const details: SandboxRunDetails[] = [
    { backend: 'unshare', workload: 'cmd-aaaaaaaaaaaa', workloadLabel: 'sleep 0.2', commandMs: 200, timer: 'launcher' },
    { backend: 'unshare', workload: 'cmd-aaaaaaaaaaaa', workloadLabel: 'sleep 0.2', commandMs: 201, timer: 'launcher' },
    { backend: 'none', workload: 'nightly' },
    { backend: 'docker' },
  ];
  const durations = [203, 205, 10, 900];
  storeRuns(
    file,
    details.map((d, i) => ({
      record: {
        sandboxId: `run-${i}`,
        startTime: 1_000_000 + i,
        durationMs: durations[i] as number,
        outcome: 'success',
        alertFired: false,
      },
      details: d,
    })),
  );
  const db = new Database(file, { readonly: true });
  const collector = new SandboxPerfCollector();
  try {
    new HistoryFeed(collector, () => db).poll();
    const text = await collector.metrics();
    expect(text).toContain('sandbox_runs_total{outcome="success",backend="unshare",workload="cmd-aaaaaaaaaaaa"} 2');
    expect(text).toContain('sandbox_runs_total{outcome="success",backend="none",workload="nightly"} 1');
    expect(text).toContain('sandbox_runs_total{outcome="success",backend="docker"} 1');
    expect(text).toContain('sandbox_workload_info{workload="cmd-aaaaaaaaaaaa",label="sleep 0.2"} 1');
    expect(text).toContain('sandbox_overhead_seconds_count{backend="unshare",workload="cmd-aaaaaaaaaaaa"} 2');
    // overheadMs 3 and 4 ms, stored by the writer from durationMs − commandMs.
    expect(Number(/sandbox_overhead_seconds_sum\{backend="unshare",workload="cmd-aaaaaaaaaaaa"\} (\S+)/.exec(text)?.[1])).toBeCloseTo(
      0.007,
      9,
    );
  } finally {
    collector.dispose();
    db.close();
  }
}, 30_000);

test("serve's label slots go to the history's busiest workloads, not the first ones stored", async () => {
  const file = path.join(dir, 'state.db');
  const workloads = ['first', 'busy', 'busy', 'busy'];
  storeRuns(
    file,
    workloads.map((workload, i) => ({
      record: { sandboxId: `run-${i}`, startTime: 1_000_000 + i, durationMs: 10, outcome: 'success', alertFired: false },
      details: { backend: 'none', workload, workloadLabel: `job ${workload}` },
    })),
  );
  const db = new Database(file, { readonly: true });
  const collector = new SandboxPerfCollector({ maxWorkloads: 1 });
  try {
    new HistoryFeed(collector, () => db).poll();
    const text = await collector.metrics();
    expect(text).toContain('sandbox_runs_total{outcome="success",backend="none",workload="busy"} 3');
    expect(text).toContain('sandbox_runs_total{outcome="success",backend="none",workload="other"} 1');
    expect([...text.matchAll(/^sandbox_workload_info\{(.*)\} 1$/gm)].map((m) => m[1])).toEqual(['workload="busy",label="job busy"']);
  } finally {
    collector.dispose();
    db.close();
  }
}, 30_000);
