import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { SandboxPerfCollector } from '../SandboxPerfCollector';

test('sandbox_overhead_seconds{backend,workload}: one observation per timed run, none for untimed ones; keyed by the workload key', async () => {
  const monitor = new SandboxPerfMonitor({ sink: false });
  const collector = new SandboxPerfCollector({ monitor });
  monitor.start('a');
  const record = monitor.stop('a', {
    outcome: 'success',
    details: { backend: 'bubblewrap', workload: 'cmd-1', workloadLabel: 'sleep 0.2', commandMs: 0 },
  });
  monitor.start('b');
  monitor.stop('b', { outcome: 'success', details: { backend: 'none', workload: 'cmd-2' } });
  const text = await collector.metrics();
  expect(text).toContain('# TYPE sandbox_overhead_seconds histogram');
  expect(text).toContain('sandbox_overhead_seconds_count{backend="bubblewrap",workload="cmd-1"} 1');
  const sum = /sandbox_overhead_seconds_sum\{backend="bubblewrap",workload="cmd-1"\} (\S+)/.exec(text)?.[1];
  expect(Number(sum)).toBeCloseTo(record.durationMs / 1000, 9);
  expect(text).not.toContain('sandbox_overhead_seconds_count{backend="none"');
  // The readable label rides in an info metric, not in every series.
  expect(text).toContain('sandbox_workload_info{workload="cmd-1",label="sleep 0.2"} 1');
  expect(text).toContain('sandbox_workload_info{workload="cmd-2",label="cmd-2"} 1');
  expect(text).toContain('sandbox_runs_total{outcome="success",backend="none",workload="cmd-2"} 1');
  collector.dispose();
});

test('workload label values are bounded: past maxWorkloads they fold into other', async () => {
  const collector = new SandboxPerfCollector({ maxWorkloads: 2 });
  const record = { sandboxId: 'x', startTime: 0, durationMs: 10, outcome: 'success' as const, alertFired: false };
  for (const name of ['w1', 'w2', 'w3', 'w4', 'w1']) collector.observe(record, { backend: 'docker', workload: name, overheadMs: 5 });
  const text = await collector.metrics();
  const workloads = [...text.matchAll(/sandbox_overhead_seconds_count\{backend="docker",workload="([^"]+)"\} (\d+)/g)].map((m) => [
    m[1],
    Number(m[2]),
  ]);
  expect(workloads).toEqual([
    ['w1', 2],
    ['w2', 1],
    ['other', 2],
  ]);
  expect(collector.tap.foldedWorkloads).toBe(2);
  expect([...text.matchAll(/^sandbox_workload_info\{workload="([^"]+)"/gm)].map((m) => m[1])).toEqual(['w1', 'w2']);
  collector.dispose();
});
