import { Registry } from 'prom-client';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { SandboxPerfCollector } from '../SandboxPerfCollector';
import { OverheadHistogram } from '../overheadHistogram';

test('sandbox_overhead_seconds{backend,workload}: one observation per timed run, none for untimed ones', async () => {
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
  expect(text).toContain('sandbox_overhead_seconds_count{backend="bubblewrap",workload="sleep 0.2"} 1');
  const sum = /sandbox_overhead_seconds_sum\{backend="bubblewrap",workload="sleep 0\.2"\} (\S+)/.exec(text)?.[1];
  expect(Number(sum)).toBeCloseTo(record.durationMs / 1000, 9);
  expect(text).not.toContain('backend="none",workload=');
  collector.dispose();
});

test('workload label values are bounded: past maxWorkloads they fold into other', async () => {
  const registry = new Registry();
  const histogram = new OverheadHistogram(registry, 2);
  for (const name of ['w1', 'w2', 'w3', 'w4', 'w1']) histogram.observe('docker', { backend: 'docker', workload: name, overheadMs: 5 });
  const text = await registry.metrics();
  const workloads = [...text.matchAll(/sandbox_overhead_seconds_count\{backend="docker",workload="([^"]+)"\} (\d+)/g)].map((m) => [
    m[1],
    Number(m[2]),
  ]);
  expect(workloads).toEqual([
    ['w1', 2],
    ['w2', 1],
    ['other', 2],
  ]);
  expect(histogram.foldedWorkloads).toBe(2);
});
