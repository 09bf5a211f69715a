import { SandboxCanaryCollector, type CanarySource } from '../CanaryCollector';
import type { CanaryRound } from '../../../canary/canaryRound';

function round(backends: CanaryRound['backends']): CanaryRound {
  return {
    round: 3,
    startedAt: 1_700_000_000_000,
    wallMs: 1900,
    cpu: { processMs: 300, childrenMs: 100, containersMs: 0, totalMs: 400 },
    runs: 5,
    baselineFailures: 0,
    error: null,
    backends,
  };
}

const gvisor = {
  backend: 'gvisor',
  failures: 0,
  ratio: 1.625,
  interval: { low: 1.5, high: 1.75 },
  basis: 'command',
  pairs: 5,
  medianMs: 40,
  baselineMedianMs: 25,
  fixedCostMs: 95,
} as const;

function source(label: string, latest: CanaryRound | null): CanarySource & { latest: CanaryRound | null } {
  return { workload: { key: label, label }, everyMs: 600_000, latest, stats: { rounds: 3, skipped: 2, failed: 1, cpuMs: 1200 } };
}

test('the latest round per backend and workload, its interval, fixed cost, rounds by result and CPU', async () => {
  const canary = source('node -e 0', round([gvisor, { ...gvisor, backend: 'unshare', ratio: 1.01, interval: null, fixedCostMs: null }]));
  const collector = new SandboxCanaryCollector({ canary });
  const text = await collector.metrics();
  const lines = text.split('\n').filter((l) => !l.startsWith('#') && l !== '');
  expect(lines).toEqual(
    expect.arrayContaining([
      'sandbox_canary_ratio{backend="gvisor",workload="node -e 0"} 1.625',
      'sandbox_canary_ratio{backend="unshare",workload="node -e 0"} 1.01',
      'sandbox_canary_ratio_low{backend="gvisor",workload="node -e 0"} 1.5',
      'sandbox_canary_ratio_high{backend="gvisor",workload="node -e 0"} 1.75',
      'sandbox_canary_fixed_overhead_seconds{backend="gvisor",workload="node -e 0"} 0.095',
      'sandbox_canary_last_round_timestamp_seconds{workload="node -e 0"} 1700000000',
      'sandbox_canary_interval_seconds{workload="node -e 0"} 600',
      'sandbox_canary_rounds_total{workload="node -e 0",result="completed"} 2',
      'sandbox_canary_rounds_total{workload="node -e 0",result="failed"} 1',
      'sandbox_canary_rounds_total{workload="node -e 0",result="skipped"} 2',
      'sandbox_canary_cpu_seconds_total{workload="node -e 0"} 1.2',
    ]),
  );
  // Without an interval or a fixed cost, no sample rather than a made-up one.
  expect(lines.filter((l) => l.includes('backend="unshare"'))).toEqual([
    'sandbox_canary_ratio{backend="unshare",workload="node -e 0"} 1.01',
  ]);

  // A backend the next round no longer reports is gone, not stuck at its old value.
  canary.latest = round([gvisor]);
  expect(await collector.metrics()).not.toContain('backend="unshare"');
  collector.dispose();
  expect((await collector.registry.metrics()).trim()).toBe('');
});

test('one workload label value per canary; before the first round only the interval and the counts', async () => {
  const collector = new SandboxCanaryCollector({ canary: [source('make', null), source('node -e 0', round([gvisor]))] });
  const text = await collector.metrics();
  expect(text).toContain('sandbox_canary_interval_seconds{workload="make"} 600');
  expect(text).not.toMatch(/sandbox_canary_ratio\{[^}]*workload="make"/);
  expect(new Set([...text.matchAll(/workload="([^"]*)"/g)].map((m) => m[1]))).toEqual(new Set(['make', 'node -e 0']));
  collector.dispose();
});

test.each([[undefined], [[]], [{ latest: null }], [[source('a', null), 42]]])('canary %j is refused', (canary) => {
  expect(() => new SandboxCanaryCollector({ canary } as never)).toThrow(
    /^Expected `canary` to be a Canary \(startCanary\) or an array of them, got /,
  );
});
