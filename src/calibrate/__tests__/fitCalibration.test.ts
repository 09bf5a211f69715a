import { mulberry32 } from '../../stats/prng';
import { CLASSES, type ClassName } from '../classes';
import { fitCalibration, type CalibrationSample } from '../fitCalibration';

/** Known costs (ms per operation) per backend, and a start and fixed cost each. */
const TRUE_COSTS: Record<string, { start: number; fixed: number; costs: Record<ClassName, number> }> = {
  none: {
    start: 0.5,
    fixed: 1,
    costs: {
      cpu: 1,
      syscall: 0.0001,
      thread: 0.00006,
      clock: 0.00003,
      stat: 0.0008,
      open: 0.0015,
      create: 0.006,
      read: 0.08,
      write: 0.2,
      spawn: 0.4,
      fault: 0.0002,
      map: 0.004,
      protect: 0.004,
    },
  },
  gvisor: {
    start: 30,
    fixed: 400,
    costs: {
      cpu: 1.02,
      syscall: 0.012,
      thread: 0.005,
      clock: 0.1,
      stat: 0.03,
      open: 0.05,
      create: 0.09,
      read: 0.3,
      write: 0.5,
      spawn: 4,
      fault: 0.006,
      map: 0.19,
      protect: 0.18,
    },
  },
};

function samples(noiseMs: number, rounds: number, seed = 7): CalibrationSample[] {
  const random = mulberry32(seed);
  // A sum of uniforms: roughly normal noise of standard deviation noiseMs.
  const noise = () => ((random() + random() + random() + random() - 2) * noiseMs) / Math.sqrt(4 / 12);
  const out: CalibrationSample[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [backend, truth] of Object.entries(TRUE_COSTS)) {
      for (const c of CLASSES) {
        for (const n of c.sizes) {
          // Each class's runs carry a little set-up of their own: the line's intercept, not its cost.
          const commandMs = truth.start + 0.1 + truth.costs[c.name] * n + noise();
          out.push({ backend, class: c.name, n, commandMs, durationMs: commandMs + truth.fixed + noise() });
        }
      }
      for (let i = 0; i < 2; i++) {
        const commandMs = truth.start + noise();
        out.push({ backend, class: 'start', n: 0, commandMs, durationMs: commandMs + truth.fixed + noise() });
      }
    }
  }
  return out;
}

describe('fitCalibration', () => {
  test('recovers known per-operation costs and their differences from none, inside the 95 % intervals', () => {
    const fit = fitCalibration(samples(0.05, 3));
    const gvisor = fit.backends.find((b) => b.backend === 'gvisor');
    expect(gvisor).toBeDefined();
    let inside = 0;
    for (const cost of gvisor?.costs ?? []) {
      const truth = TRUE_COSTS.gvisor?.costs[cost.class] as number;
      const delta = truth - (TRUE_COSTS.none?.costs[cost.class] as number);
      expect(cost.msPerOp.estimate).toBeCloseTo(truth, 2);
      expect(cost.deltaMsPerOp?.estimate).toBeCloseTo(delta, 2);
      if (cost.deltaMsPerOp && cost.deltaMsPerOp.low <= delta && delta <= cost.deltaMsPerOp.high) inside++;
    }
    // 95 % intervals: with 9 classes, at most one may miss by chance (the seed is fixed).
    expect(inside).toBeGreaterThanOrEqual(8);
    expect(gvisor?.startMs.estimate).toBeCloseTo(30, 1);
    expect(gvisor?.deltaStartMs?.estimate).toBeCloseTo(29.5, 1);
    expect(gvisor?.fixedMs.estimate).toBeCloseTo(400, 0);
    expect(gvisor?.rSquared).toBeGreaterThan(0.99);
  });

  test('the baseline has no difference from itself', () => {
    const none = fitCalibration(samples(0.5, 2)).backends.find((b) => b.backend === 'none');
    expect(none?.deltaStartMs).toBeNull();
    expect(none?.costs.every((c) => c.deltaMsPerOp === null)).toBe(true);
  });

  test('says when the fit is poor: noise that swamps the operations', () => {
    const fit = fitCalibration(samples(200, 2));
    const none = fit.backends.find((b) => b.backend === 'none');
    expect(none?.poorFit.length).toBeGreaterThan(0);
    expect(none?.poorFit.join(', ')).toMatch(/syscall (R² \d\.\d\d, )?±\d+ %/);
    const clean = fitCalibration(samples(0.01, 2)).backends.find((b) => b.backend === 'gvisor');
    expect(clean?.poorFit).toEqual([]);
  });

  test('says when a cost per operation is below 0, however well the line fits', () => {
    // The larger size timed faster than the smaller one on none: clock reads "saving" 0.05 ms each.
    const falling = samples(0.001, 2).map((s) => (s.backend === 'none' && s.class === 'clock' ? { ...s, commandMs: 200 - 0.05 * s.n } : s));
    const none = fitCalibration(falling).backends.find((b) => b.backend === 'none');
    expect(none?.costs.find((c) => c.class === 'clock')?.rSquared).toBeGreaterThan(0.99);
    expect(none?.poorFit).toContain('clock below 0');
  });

  test('refuses samples that cannot determine a cost', () => {
    const one = samples(0.5, 2).filter((s) => !(s.class === 'spawn' && s.n === CLASSES.find((c) => c.name === 'spawn')?.sizes[1]));
    expect(() => fitCalibration(one)).toThrow(/two sizes or more of 'spawn' on none and three runs, got 1 sizes in 2 runs/);
    expect(() => fitCalibration(samples(0.5, 2).filter((s) => s.class !== 'start'))).toThrow(/two runs or more of 'start', got 0/);
    expect(() => fitCalibration(samples(0.5, 1).filter((s) => s.backend !== 'none'))).toThrow(/baseline 'none'/);
  });

  test("a batch run's phases give the lines; the fixed cost and the run count come from whole runs only", () => {
    const random = mulberry32(11);
    const out: CalibrationSample[] = [];
    for (let r = 0; r < 3; r++) {
      for (const [backend, truth] of Object.entries(TRUE_COSTS)) {
        // One run doing every class at both sizes: each phase timed by the program (no start in it).
        const phases = CLASSES.flatMap((c) =>
          c.sizes.map((n) => ({ c: c.name, n, ms: truth.costs[c.name] * n + (random() - 0.5) * 0.01 })),
        );
        const commandMs = truth.start + phases.reduce((sum, p) => sum + p.ms, 0);
        const durationMs = commandMs + truth.fixed;
        out.push({ backend, class: 'batch', n: 0, commandMs, durationMs });
        for (const p of phases) out.push({ backend, class: p.c, n: p.n, commandMs: p.ms, durationMs, phase: true });
        for (let i = 0; i < 2; i++)
          out.push({ backend, class: 'start', n: 0, commandMs: truth.start, durationMs: truth.start + truth.fixed });
      }
    }
    const gvisor = fitCalibration(out).backends.find((b) => b.backend === 'gvisor');
    for (const cost of gvisor?.costs ?? []) expect(cost.msPerOp.estimate).toBeCloseTo(TRUE_COSTS.gvisor?.costs[cost.class] as number, 3);
    // Counting the phases as runs would pull the fixed cost towards durationMs − a phase's time.
    expect(gvisor?.fixedMs.estimate).toBeCloseTo(400, 6);
    expect(gvisor?.runs).toBe(9);
  });
});

describe('the fixed cost per file a run leaves (`leave` runs)', () => {
  /** Per file left, ms: docker pays ~11 µs a file at its container's removal (docs/calibration.md). */
  const PER_FILE: Record<string, number> = { none: 0, gvisor: 0.011 };
  const FILES = 2000;

  /**
   * samples() plus, per round and backend, one `leave FILES` run: its time around the command is
   * the backend's fixed cost + FILES × its per-file cost, with `noiseMs` before the command and
   * `afterNoiseMs` after it; `after`: the runs carry the part after the command (afterMs).
   */
  function withLeave(noiseMs: number, afterNoiseMs: number, rounds: number, after: boolean, seed = 5): CalibrationSample[] {
    const random = mulberry32(seed);
    const noise = (sd: number) => ((random() + random() + random() + random() - 2) * sd) / Math.sqrt(4 / 12);
    const out = samples(0.05, rounds, seed).filter((s) => s.class !== 'start');
    for (let r = 0; r < rounds; r++) {
      for (const [backend, truth] of Object.entries(TRUE_COSTS)) {
        const perFile = PER_FILE[backend] as number;
        for (const [kind, n] of [
          ['start', 0],
          ['start', 0],
          ['leave', FILES],
        ] as const) {
          const commandMs = truth.start + n * 0.5 + noise(0.05);
          const afterMs = 40 + perFile * n + noise(afterNoiseMs);
          const durationMs = commandMs + truth.fixed - 40 + noise(noiseMs) + afterMs;
          out.push({ backend, class: kind, n, commandMs, durationMs, ...(after ? { afterMs } : {}) });
        }
      }
    }
    return out;
  }

  test('recovers a known per-file cost and its difference from none; the fixed cost stays that of the other runs', () => {
    const fit = fitCalibration(withLeave(0.5, 0.5, 8, false));
    const gvisor = fit.backends.find((b) => b.backend === 'gvisor');
    const perFile = gvisor?.fixedPerFileMs;
    expect(perFile?.estimate).toBeCloseTo(0.011, 3);
    expect(perFile?.low).toBeLessThan(0.011);
    expect(perFile?.high).toBeGreaterThan(0.011);
    expect(gvisor?.deltaFixedPerFileMs?.estimate).toBeCloseTo(0.011, 3);
    // Before: the leave runs' files (+22 ms each) were part of the fixed cost.
    expect(gvisor?.fixedMs.estimate).toBeCloseTo(400, 0);
    // Every whole run counts, the leave runs too: 8 rounds of one run per class and size, 2 starts, 1 leave.
    expect(gvisor?.runs).toBe(8 * (CLASSES.length * 2 + 3));
    const none = fit.backends.find((b) => b.backend === 'none');
    expect(none?.fixedPerFileMs?.estimate).toBeCloseTo(0, 3);
    expect(none?.deltaFixedPerFileMs).toBeNull();
    expect(gvisor?.poorFit.join(', ')).not.toMatch(/per file/);
  });

  test('compares the time after the command where the runs carry it: the noise before the command drops out', () => {
    // 40 ms of noise before the command (a container's creation and start), 1 ms after it.
    const whole = fitCalibration(withLeave(40, 1, 5, false)).backends.find((b) => b.backend === 'gvisor');
    const after = fitCalibration(withLeave(40, 1, 5, true)).backends.find((b) => b.backend === 'gvisor');
    const width = (i: { low: number; high: number } | null | undefined) => (i ? i.high - i.low : Number.NaN);
    expect(after?.fixedPerFileMs?.estimate).toBeCloseTo(0.011, 3);
    expect(width(after?.fixedPerFileMs)).toBeLessThan(width(whole?.fixedPerFileMs) / 5);
    expect(whole?.poorFit.join(', ')).toMatch(/fixed per file ±\d+ %/);
    expect(after?.poorFit.join(', ')).not.toMatch(/per file/);
    // The fixed cost is still the whole time around the command.
    expect(after?.fixedMs.estimate).toBeCloseTo(whole?.fixedMs.estimate ?? Number.NaN, 6);
  });

  test('without leave runs (a calibration stored before them) there is no per-file cost', () => {
    const fit = fitCalibration(samples(0.05, 3));
    for (const b of fit.backends) {
      expect(b.fixedPerFileMs).toBeNull();
      expect(b.deltaFixedPerFileMs).toBeNull();
    }
  });

  test('refuses leave runs that left different numbers of files', () => {
    let leaves = 0;
    const mixed = withLeave(2, 2, 3, false).map((s) => (s.class === 'leave' && leaves++ === 0 ? { ...s, n: 10 } : s));
    expect(() => fitCalibration(mixed)).toThrow(/every 'leave' run on \w+ to leave the same number of files/);
  });
});

describe("the cpu class: a phase's fastest piece, not its wall time", () => {
  /**
   * A cpu phase of n steps on a loaded machine, as native/calib.c times it: 4n quarter steps,
   * each up to 0.3 % slower (interrupts) and waiting for a core with probability `busy` for an
   * exponential time (mean 2 ms: CFS slices at load 8 on 2 cores). `fastest`: what the program reports (4n times the fastest quarter);
   * otherwise the phase's wall time (the reading before).
   */
  function cpuSamples(costs: Record<string, number>, fastest: boolean, seed: number): CalibrationSample[] {
    const random = mulberry32(seed);
    const out: CalibrationSample[] = [];
    for (let r = 0; r < 5; r++) {
      for (const [backend, cost] of Object.entries(costs)) {
        const busy = 0.2 + 0.6 * random();
        for (const n of [16, 64]) {
          const pieces = Array.from(
            { length: 4 * n },
            () => (cost / 4) * (1 + 0.003 * random()) + (random() < busy ? -2 * Math.log(1 - random()) : 0),
          );
          const ms = fastest ? 4 * n * Math.min(...pieces) : pieces.reduce((sum, p) => sum + p, 0);
          out.push({ backend, class: 'cpu', n, commandMs: ms, durationMs: ms, phase: true });
        }
      }
    }
    return out;
  }

  /** The cpu line's Δ per 10⁶ steps of every backend, other classes exact (only the cpu line is under test). */
  function cpuDeltas(costs: Record<string, number>, fastest: boolean, seed: number) {
    const exact = samples(0, 5).filter((s) => s.class !== 'cpu');
    const fit = fitCalibration([
      ...exact.map((s) => ({ ...s, backend: s.backend === 'gvisor' ? 'docker' : s.backend })),
      ...exact.filter((s) => s.backend === 'gvisor'),
      ...cpuSamples(costs, fastest, seed),
    ]);
    return Object.fromEntries(fit.backends.map((b) => [b.backend, b.costs.find((c) => c.class === 'cpu')] as const));
  }

  test('recovers a zero difference and a 2 % one to within ±1 µs per 10⁶ steps, where the wall time gives ±100s', () => {
    const costs = { none: 1.0827, docker: 1.0827, gvisor: 1.0827 * 1.02 };
    for (const seed of [1, 2, 3]) {
      const lines = cpuDeltas(costs, true, seed);
      expect(lines.none?.msPerOp.estimate).toBeCloseTo(1.0827, 4);
      const docker = lines.docker?.deltaMsPerOp;
      const gvisor = lines.gvisor?.deltaMsPerOp;
      expect(docker?.low).toBeLessThanOrEqual(0);
      expect(docker?.high).toBeGreaterThanOrEqual(0);
      expect(Math.max(Math.abs(docker?.low ?? 1), Math.abs(docker?.high ?? 1))).toBeLessThan(0.001);
      expect(gvisor?.estimate).toBeCloseTo(0.021654, 4);
      expect(lines.gvisor?.poor).toBeNull();
      // The same pieces summed (the phase's wall time, as before): an interval of ±0.1 ms or more.
      const wall = cpuDeltas(costs, false, seed).docker?.deltaMsPerOp;
      expect(((wall?.high ?? 0) - (wall?.low ?? 0)) / 2).toBeGreaterThan(0.1);
    }
  });
});
