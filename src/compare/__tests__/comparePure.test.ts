import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summaryLines } from '../../cli/format/summaryText';
import { comparisonText } from '../../cli/format/comparisonText';
import { colours } from '../../cli/terminal';
import { mulberry32 } from '../../stats/prng';
import { isWarm, warmupDone } from '../autoWarmup';
import { childCpuTimes, cpuDelta } from '../childCpu';
import type { ComparisonResult } from '../compareBackends';
import { machineFingerprint, selectedMode, type MachineFingerprint } from '../../machine/fingerprint';
import { fingerprintDifferences, noiseWarnings } from '../../machine/noise';
import { adaptiveStop, precisions } from '../precision';
import { pairedRounds } from '../../stats/paired';
import { summarizeBackends, type BackendRounds } from '../summarizeBackends';

const plain = colours({ isTTY: false } as never, {});

function rounds(backend: BackendRounds['backend'], roundsMs: (number | null)[]): BackendRounds {
  return {
    backend,
    roundsMs,
    exitCodes: roundsMs.map((d) => (d === null ? 1 : 0)),
    cpu: roundsMs.map(() => null),
    phases: [],
    failures: roundsMs.filter((d) => d === null).length,
    firstError: null,
    prepareMs: 0,
    teardownMs: 0,
    warmupRuns: 0,
  };
}

function gaussian(seed: number, n: number, mu: number, sigma: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => mu + sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

function result(all: BackendRounds[]): ComparisonResult {
  return {
    command: ['node', '-e', '0'],
    runs: all[0]?.roundsMs.length ?? 0,
    warmup: 1,
    warmupMode: 'fixed',
    stoppedBy: 'runs',
    adaptive: null,
    precision: null,
    baseline: 'none',
    startedAt: '2026-12-01T00:00:00.000Z',
    machine: { node: 'v20', platform: 'linux', cpus: 2, cpuModel: 'x' },
    fingerprint: null,
    backends: summarizeBackends(all, 0),
    mitigations: [],
  };
}

test('summary: same distribution → "no significant difference"; otherwise the slower one with its intervals', () => {
  const base = gaussian(1, 30, 40, 2);
  const text = summaryLines(
    result([rounds('none', base), rounds('unshare', gaussian(2, 30, 40, 2)), rounds('docker', gaussian(3, 30, 60, 3))]),
    plain,
  ).join('\n');
  expect(text).toMatch(
    /unshare\s+no significant difference from none: [+−][\d.]+ ms per run \[[+−][\d.]+ ms … [+−][\d.]+ ms\], Wilcoxon p = 0\.\d+/,
  );
  expect(text).toMatch(/docker\s+1\.\d\d times slower than none \[1\.\d\d … 1\.\d\d\]\s+\(hyperfine: 1\.\d\d ± 0\.\d\d\)/);
  expect(text).toMatch(/\+\d\d\.\d\d ms per run \[\+\d+\.\d\d ms … \+\d+\.\d\d ms\], Hodges-Lehmann \+\d\d\.\d\d ms, Wilcoxon p < 0\.0001/);
  // One run: no interval, no test, no ± (as hyperfine).
  const one = summaryLines(result([rounds('none', [40]), rounds('docker', [60])]), plain).join('\n');
  expect(one).toMatch(/docker\s+1\.50 times slower than none \(one paired run: no interval, no test\)/);
});

test('failed rounds drop out of the pairs; intervals need 2 (mean) and 6 (median) runs', () => {
  expect(pairedRounds([1, null, 3, 4], [5, 6, null, 8])).toEqual({ a: [1, 4], b: [5, 8] });
  const [none, other] = summarizeBackends([rounds('none', [10, 11, 12, 13, 14, 15]), rounds('unshare', [12, null, 14, 15, 16, 17])], 0);
  expect(none?.intervals.median).not.toBeNull();
  expect(other?.intervals.median).toBeNull();
  expect(other?.paired?.pairs).toBe(5);
  expect(other?.failures).toBe(1);
  expect(summarizeBackends([rounds('none', [10])], 0)[0]?.intervals.mean).toBeNull();
});

test("gVisor's CPU is said to be its own count, the host kernel's is not labelled; none where no CPU was read", () => {
  const withCpu = (r: BackendRounds): BackendRounds => ({ ...r, cpu: r.roundsMs.map(() => ({ userMs: 5, systemMs: 1 })) });
  const all = [withCpu(rounds('none', [10, 11, 12])), withCpu(rounds('gvisor', [20, 21, 22])), rounds('bubblewrap', [12, 13, 14])];
  expect(summarizeBackends(all, 0).map((b) => b.cpuCountedBy)).toEqual([null, 'gVisor', null]);
  const text = comparisonText(result(all), plain);
  expect(text).toMatch(/\n {2}Time \(mean ± σ\): +[\d.]+ ms ± [\d.]+ ms {4}\[User: 5\.00 ms, System: 1\.00 ms\]\n/);
  expect(text).toContain('[User: 5.00 ms, System: 1.00 ms as gVisor counts it]');
  expect(text.match(/\[User:/g)).toHaveLength(2);
});

test('adaptive stop: precision only after --min-runs; limits say which stopped it', () => {
  const limits = { precision: 0.05, minRuns: 5, maxRuns: 20, maxTimeMs: 10_000 };
  expect(adaptiveStop(0.01, 4, 0, limits)).toBeNull();
  expect(adaptiveStop(0.01, 5, 0, limits)).toBe('precision');
  expect(adaptiveStop(0.2, 20, 0, limits)).toBe('max-runs');
  expect(adaptiveStop(0.2, 7, 10_000, limits)).toBe('max-time');
  // Baseline 10 ± 0 → 0; the other differs by exactly 1 every round → σ 0 → precision 0.
  expect(
    precisions(
      [
        [10, 10, 10],
        [11, 11, 11],
      ],
      0,
    ),
  ).toEqual([0, 0]);
  // Hand-computed: d = 1, 3 → mean 2, s = √2, half-width = 12.706 · √2 / √2 = 12.706; / baseline mean 10.
  expect(
    precisions(
      [
        [10, 10],
        [11, 13],
      ],
      0,
    )[1],
  ).toBeCloseTo(1.27062047361747, 9);
  expect(precisions([[10], [11]], 0)).toEqual([Infinity, Infinity]);
});

test('auto warm-up: until the last two runs agree within 10 %, 2 to 10 rounds', () => {
  expect(isWarm([200, 41])).toBe(false);
  expect(isWarm([200, 41, 40])).toBe(true);
  expect(isWarm([40, null])).toBe(false);
  expect(warmupDone([[40]])).toBe(false);
  expect(
    warmupDone([
      [200, 41, 40],
      [300, 90],
    ]),
  ).toBe(false);
  expect(
    warmupDone([
      [200, 41, 40],
      [300, 90, 85],
    ]),
  ).toBe(true);
  expect(warmupDone([Array.from({ length: 10 }, (_, i) => (i % 2 ? 10 : 100))])).toBe(true);
});

test('child CPU from /proc/self/stat: fields counted after the last parenthesis', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stat-')), 'stat');
  // A command name with spaces and a ')' must not shift the fields: cutime 250, cstime 40 ticks.
  fs.writeFileSync(file, '123 (a b) c) S 1 1 1 0 -1 4194304 127 0 0 0 7 3 250 40 20 0 1 0 84627\n');
  expect(childCpuTimes(file)).toEqual({ userMs: 2500, systemMs: 400 });
  expect(childCpuTimes(path.join(file, 'missing'))).toBeNull();
  expect(cpuDelta({ userMs: 10, systemMs: 20 }, { userMs: 30, systemMs: 20 })).toEqual({ userMs: 20, systemMs: 0 });
  expect(cpuDelta(null, { userMs: 1, systemMs: 1 })).toBeNull();
  if (process.platform === 'linux')
    expect(childCpuTimes()).toEqual({ userMs: expect.any(Number) as number, systemMs: expect.any(Number) as number });
});

const quiet: MachineFingerprint = {
  kernel: 'Linux 6.1.0',
  cpuModel: 'CPU',
  cores: 4,
  governor: 'performance',
  turbo: false,
  smt: 'off',
  transparentHugePages: 'madvise',
  loadAverage: [0.1, 0.1, 0.1],
  cgroupVersion: 2,
  docker: null,
  gvisor: null,
  node: 'v20.0.0',
  sandboxPerf: '0.1.0',
};

test('noise warnings as isolate checks: load per core, governor, turbo, THP always', () => {
  expect(noiseWarnings(quiet)).toEqual([]);
  const noisy = noiseWarnings({ ...quiet, loadAverage: [8, 1, 1], governor: 'powersave', turbo: true, transparentHugePages: 'always' });
  expect(noisy).toHaveLength(4);
  expect(noisy[0]).toMatch(/^load average 8\.00 on 4 core\(s\) \(> 0\.5 per core\)/);
  expect(noisy[1]).toMatch(/governor is 'powersave'/);
  expect(fingerprintDifferences(quiet, { ...quiet, loadAverage: [5, 5, 5] })).toEqual([]);
  expect(fingerprintDifferences(quiet, { ...quiet, kernel: 'Linux 6.2.0' })).toEqual(['kernel: "Linux 6.1.0" → "Linux 6.2.0"']);
  expect(selectedMode('always [madvise] never')).toBe('madvise');
});

test('the fingerprint of this machine has every field, probes failing to null', async () => {
  const f = await machineFingerprint('9.9.9', { DOCKER_HOST: 'unix:///nonexistent.sock' });
  expect(f.sandboxPerf).toBe('9.9.9');
  expect(f.docker).toBeNull();
  expect(f.cores).toBeGreaterThan(0);
  expect(f.loadAverage).toHaveLength(3);
  expect(f.node).toBe(process.version);
  expect(Object.keys(f).sort()).toEqual(Object.keys(quiet).sort());
});
