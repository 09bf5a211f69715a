import fs from 'node:fs';
import { compareBackends } from '../compareBackends';
import { resolveThroughput, type ThroughputFigures } from '../throughput';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { INSTALL_RUNC, runcMissing } from '../../../test/support/runners';
import { describeWhen } from '../../../test/support/e2e';
import { sandboxDir } from '../../../test/support/tempDir';

// Real runs on a shared, busy machine; counts are small and no figure is bounded (speed is the bench's).
jest.setTimeout(240_000);

let dir: string;
beforeAll(() => {
  dir = sandboxDir('throughput');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const monitor = (): SandboxPerfMonitor => new SandboxPerfMonitor({ sink: false });

function find(all: readonly ThroughputFigures[], backend: string, mode: 'closed' | 'open'): ThroughputFigures {
  const found = all.find((t) => t.backend === backend && t.mode === mode);
  if (!found) throw new Error(`no ${mode} figures for ${backend} in ${JSON.stringify(all)}`);
  return found;
}

describe('throughput option: validated in the one error shape', () => {
  test.each([
    [{ concurrency: 0 }, /^Expected `throughput.concurrency` to be a finite integer >= 1 and <= 256, got `0` \(number\)$/],
    [{ concurrency: 1.5 }, /^Expected `throughput.concurrency` to be a finite integer/],
    [{ concurrency: '4' }, /^Expected `throughput.concurrency` to be a finite integer >= 1 and <= 256, got `"4"` \(string\)$/],
    [{ rate: 0 }, /^Expected `throughput.rate` to be a finite number > 0 and <= 10000, got `0` \(number\)$/],
    [{ rate: -1 }, /^Expected `throughput.rate` to be a finite number > 0 and <= 10000, got `-1` \(number\)$/],
    [{ rate: Number.NaN }, /^Expected `throughput.rate` to be a finite number > 0/],
    [{ rate: 5, runs: 0 }, /^Expected `throughput.runs` to be a finite integer >= 1/],
    [{ runs: 5 }, /^Expected `throughput` to be an object with `concurrency` or `rate` \(or both\), got `\{"runs":5\}` \(object\)$/],
    [{ concurency: 4 }, /^Expected `throughput` to be an object with only the keys .*: did you mean `concurrency`\?$/],
    [4, /^Expected `throughput` to be an object, got `4` \(number\)$/],
  ])('%j is refused', (value, message) => {
    expect(() => resolveThroughput(value)).toThrow(message);
  });

  test('compareBackends refuses a bad option before it starts anything', async () => {
    await expect(
      compareBackends({ backends: ['none'], command: ['true'], runs: 1, warmup: 0, monitor: monitor(), throughput: { concurrency: -2 } }),
    ).rejects.toThrow(/^Expected `throughput.concurrency`/);
  });
});

describe('compareBackends with throughput on none: real runs', () => {
  test('a closed loop keeps N runs in flight; an open stream starts runs on its schedule', async () => {
    const result = await compareBackends({
      backends: ['none'],
      command: ['sh', '-c', 'sleep 0.05'],
      runs: 1,
      warmup: 0,
      sandbox: { cwd: dir },
      monitor: monitor(),
      throughput: { concurrency: 3, rate: 20, runs: 6 },
    });
    expect(result.throughput?.map((t) => [t.backend, t.mode, t.concurrency, t.rate, t.runs])).toEqual([
      ['none', 'closed', 3, null, 6],
      ['none', 'open', null, 20, 6],
    ]);
    const closed = find(result.throughput ?? [], 'none', 'closed');
    // Three lanes each wait for a 50 ms sleep: all three are in flight at once.
    expect(closed.peakInFlight).toBe(3);
    expect(closed).toMatchObject({ failures: 0, firstError: null, waits: null, freshPerRun: false });
    expect(closed.latency?.p50Ms).toBeGreaterThanOrEqual(50);
    expect(closed.runsPerSecond).toBeCloseTo(6 / (closed.wallMs / 1000), 6);
    const open = find(result.throughput ?? [], 'none', 'open');
    // Six arrivals 50 ms apart: the last one arrives 250 ms after the first and sleeps 50 ms.
    expect(open.wallMs).toBeGreaterThanOrEqual(300);
    expect(open.failures).toBe(0);
    expect(open.latency?.p99Ms).toBeGreaterThanOrEqual(50);
  });

  test('without the option there is no throughput field; failures are counted with their reason', async () => {
    const plain = await compareBackends({
      backends: ['none'],
      command: ['true'],
      runs: 1,
      warmup: 0,
      sandbox: { cwd: dir },
      monitor: monitor(),
    });
    expect(plain).not.toHaveProperty('throughput');
    const failing = await compareBackends({
      backends: ['none'],
      command: ['false'],
      runs: 1,
      warmup: 0,
      sandbox: { cwd: dir },
      monitor: monitor(),
      throughput: { concurrency: 2, runs: 4 },
    });
    const closed = find(failing.throughput ?? [], 'none', 'closed');
    expect(closed).toMatchObject({ failures: 4, latency: null, runsPerSecond: 0, firstError: 'exited with code 1' });
  });
});

// runc-pool: what is counted (the pool's waits, compare's lanes) is the same for every pool; its
// refills need no dockerd, so the runs that waited are measured in seconds, not tens of them.
describeWhen('compareBackends with throughput on runc-pool: real containers', runcMissing(), INSTALL_RUNC, () => {
  test('more runs in flight than the pool holds: the runs that waited and their waits are counted', async () => {
    const result = await compareBackends({
      backends: ['none', 'runc-pool'],
      command: ['true'],
      runs: 1,
      warmup: 0,
      // Two sandboxes ready, three runs at once: the third finds none idle and waits.
      sandbox: { cwd: dir, pool: { size: 2 } },
      monitor: monitor(),
      throughput: { concurrency: 3, rate: 2, runs: 5 },
    });
    const closed = find(result.throughput ?? [], 'runc-pool', 'closed');
    expect(closed).toMatchObject({ runs: 5, failures: 0, freshPerRun: true, peakInFlight: 3 });
    expect(closed.waits?.waited).toBeGreaterThanOrEqual(1);
    expect(closed.waits?.waited).toBeLessThanOrEqual(5);
    expect(closed.waits?.maxMs).toBeGreaterThan(0);
    expect(closed.waits?.totalMs).toBeGreaterThanOrEqual(closed.waits?.maxMs ?? Number.NaN);
    const open = find(result.throughput ?? [], 'runc-pool', 'open');
    expect(open).toMatchObject({ runs: 5, failures: 0, rate: 2 });
    expect(open.waits).not.toBeNull();
    expect(open.latency).not.toBeNull();
    // none has no pool to wait for.
    expect(find(result.throughput ?? [], 'none', 'closed').waits).toBeNull();
  });
});
