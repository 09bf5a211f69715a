import type { Interval } from '../../stats/intervals';
import { attribute, attributionLine, readsInWindow } from '../attribution';
import { CLASSES, CLOCK_WINDOW_MS, type ClassName } from '../classes';
import type { BackendCalibration } from '../fitCalibration';
import { checkPrediction, predict } from '../prediction';
import type { OperationCounts } from '../profile';
import { predictionText } from '../../cli/format/predictionText';

const around = (estimate: number, plusMinus: number): Interval => ({
  estimate,
  low: estimate - plusMinus,
  high: estimate + plusMinus,
  level: 0.95,
  method: 't',
});

function calibration(backend: string, perOp: Record<ClassName, number>, base: Record<ClassName, number> | null): BackendCalibration {
  return {
    backend,
    runs: 36,
    startMs: around(base === null ? 1 : 21, 1),
    deltaStartMs: base === null ? null : around(20, 2),
    fixedMs: around(base === null ? 2 : 402, 10),
    rSquared: 0.99,
    costs: CLASSES.map((c) => ({
      class: c.name,
      msPerOp: around(perOp[c.name], perOp[c.name] / 10),
      deltaMsPerOp: base === null ? null : around(perOp[c.name] - base[c.name], perOp[c.name] / 10),
      rSquared: 0.99,
      poor: null,
    })),
    poorFit: [],
  };
}

const NONE = {
  cpu: 2,
  syscall: 0.0001,
  thread: 0.00006,
  clock: 0.00003,
  stat: 0.001,
  open: 0.002,
  create: 0.01,
  read: 0.1,
  write: 0.2,
  spawn: 0.5,
  fault: 0.0002,
  map: 0.005,
  protect: 0.005,
};
const GVISOR = {
  cpu: 2.2,
  syscall: 0.01,
  thread: 0.004,
  clock: 0.1,
  stat: 0.03,
  open: 0.06,
  create: 0.1,
  read: 0.3,
  write: 0.5,
  spawn: 5,
  fault: 0.005,
  map: 0.2,
  protect: 0.2,
};
const COUNTS: OperationCounts = {
  cpu: 400,
  syscall: 10_000,
  thread: 0,
  clock: 0,
  stat: 20_000,
  open: 30_000,
  create: 100,
  read: 50,
  write: 10,
  spawn: 40,
  fault: 80_000,
  map: 1_500,
  protect: 0,
};

const ZERO = Object.fromEntries(CLASSES.map((c) => [c.name, 0])) as OperationCounts;

describe('attribution', () => {
  const none = calibration('none', NONE, null);
  const gvisor = calibration('gvisor', GVISOR, NONE);

  test('the shares sum to the predicted in-command cost', () => {
    const a = attribute(COUNTS, gvisor, none);
    const sum = a.shares.reduce((s, share) => s + share.ms, 0);
    expect(sum).toBeCloseTo(a.inCommand.estimate, 9);
    // By hand: start 20 + cpu 400/2·0.2 = 40 + syscall 99 + stat 580 + open 1740 + create 9 + read 10 + write 3 + spawn 180 + fault 384
    // + map 1 500·0.195 = 292.5.
    expect(a.inCommand.estimate).toBeCloseTo(20 + 40 + 99 + 580 + 1740 + 9 + 10 + 3 + 180 + 384 + 292.5, 6);
    expect(a.shares[0]?.class).toBe('open');
    expect(a.inCommand.low).toBeLessThan(a.inCommand.estimate);
  });

  test('reads as the issue words it, largest share first, the rest summed', () => {
    const line = attributionLine(attribute(COUNTS, gvisor, none));
    expect(line).toMatch(/^gvisor: 52 % file opens, 17 % stats, 11 % page faults, 9 % memory mappings, 11 % the rest$/);
  });

  test('a sum whose interval holds 0 is given in milliseconds, not as shares of it', () => {
    const share = (label: string, ms: number) => ({ class: 'stat' as ClassName, label, operations: 1, ms, plusMinusMs: 20 });
    const line = attributionLine({
      backend: 'bubblewrap',
      inCommand: { estimate: -3, low: -40, high: 34, level: 0.95, method: 'sum of shares' },
      shares: [share('file creations', 52), share('overlap', -45), share('stats', -10)],
    });
    expect(line).toBe(
      'bubblewrap: −3.0 ms [−40.0 ms … +34.0 ms], not resolved from 0; the largest parts: +52.0 ms file creations, −45.0 ms overlap, −10.0 ms stats',
    );
  });

  test('a negative sum resolved from 0 gives its parts in ms: shares of it would flip every sign', () => {
    // What `predict --sandbox docker -- true` printed: in-command -0.18 ms, then "118 % start, -21 % page faults".
    const share = (label: string, ms: number) => ({ class: 'stat' as ClassName, label, operations: 1, ms, plusMinusMs: 0.01 });
    const line = attributionLine({
      backend: 'docker',
      inCommand: { estimate: -0.18, low: -0.25, high: -0.11, level: 0.95, method: 'sum of shares' },
      shares: [share('start', -0.22), share('page faults', 0.04)],
    });
    expect(line).toBe('docker: −0.2 ms [−0.3 ms … −0.1 ms], below 0; the largest parts: −0.2 ms start, +0.0 ms page faults');
    expect(line).not.toMatch(/%/);
  });

  test('of a positive sum, a negative share is a negative percentage written with the minus sign of the other lines', () => {
    const share = (label: string, ms: number) => ({ class: 'stat' as ClassName, label, operations: 1, ms, plusMinusMs: 1 });
    const line = attributionLine({
      backend: 'gvisor',
      inCommand: { estimate: 100, low: 90, high: 110, level: 0.95, method: 'sum of shares' },
      shares: [share('clock reads', 127), share('overlap on other threads', -27)],
    });
    expect(line).toBe('gvisor: 127 % clock reads, −27 % overlap on other threads');
  });

  test("calls on other threads overlap one another and, as far as it lasts, the main thread's run: a share of its own", () => {
    // Of COUNTS, 4 000 other calls, 1 000 stats and 500 opens (and their 500 closes) on other threads.
    const onThreads: OperationCounts = { ...ZERO, syscall: 4_000, stat: 1_000, open: 500, thread: 6_000 };
    const counts = { ...COUNTS, thread: 6_000 };
    const serial = attribute(COUNTS, gvisor, none);
    const a = attribute(counts, gvisor, none, onThreads);
    // What they cost as one thread's: 4 000·0.0099 + 1 000·0.029 + 500·0.058. (1 − r) of it, r =
    // (0.004 − 0.00006) / (0.01 − 0.0001), for their overlap; the rest, r·T, runs while COUNTS'
    // main thread (400 ms of CPU, its own calls ~3 s) does: all of T is taken back.
    const threaded = 4_000 * 0.0099 + 1_000 * 0.029 + 500 * 0.058;
    const share = a.shares.find((s) => s.class === 'thread');
    expect(share?.ms).toBeCloseTo(-threaded, 6);
    expect(share?.operations).toBe(6_000);
    expect(share?.label).toBe('overlap on other threads');
    expect(a.inCommand.estimate).toBeCloseTo(serial.inCommand.estimate - threaded, 6);
    expect(a.shares.reduce((s, x) => s + x.ms, 0)).toBeCloseTo(a.inCommand.estimate, 9);
    expect(predict(counts, gvisor, none, onThreads).total.estimate).toBeCloseTo(predict(COUNTS, gvisor, none).total.estimate - threaded, 6);
  });

  test("the other threads' calls lengthen the run where they outlast the main thread's", () => {
    // Every call on other threads; the main thread computes 10 ms and waits: its run is the start
    // (20 ms), its CPU (10 ms) and CPU's cost (10/2·0.2 = 1 ms).
    const onThreads: OperationCounts = { ...ZERO, syscall: 4_000, stat: 1_000, open: 500, thread: 6_000 };
    const counts: OperationCounts = { ...onThreads, cpu: 10 };
    const threaded = 4_000 * 0.0099 + 1_000 * 0.029 + 500 * 0.058;
    const r = 0.00394 / 0.0099;
    const mainMs = 10 + 20 + 1;
    // r·T (38.8 ms) outlasts what the machine serves beside it, (1/r − 1) times one thread's
    // work in its 31 ms: of r·T, (1 − r)·31 ms are hidden.
    expect(r * threaded).toBeGreaterThan((1 - r) * mainMs);
    const a = attribute(counts, gvisor, none, onThreads);
    expect(a.shares.find((s) => s.class === 'thread')?.ms).toBeCloseTo(-(1 - r) * threaded - (1 - r) * mainMs, 6);
    expect(a.inCommand.estimate).toBeCloseTo(20 + 1 + r * threaded - (1 - r) * mainMs, 6);
    // Where 4 threads' calls take no less than one thread's (r = 1: a busy machine), nothing is hidden.
    const busy = calibration('gvisor', { ...GVISOR, thread: 0.0101 }, NONE);
    expect(attribute(counts, busy, none, onThreads).shares.some((s) => s.class === 'thread')).toBe(false);
  });

  test("no overlap share where one thread's call costs nothing more than the baseline's, or the calibration has no `thread`", () => {
    const onThreads: OperationCounts = { ...ZERO, syscall: 4_000, thread: 4_000 };
    const counts = { ...COUNTS, thread: 4_000 };
    // A light sandbox: its calls cost the baseline's (the difference's interval holds 0).
    const light = calibration('bubblewrap', { ...NONE, thread: 0.00001 }, NONE);
    expect(attribute(counts, light, none, onThreads).shares.some((s) => s.class === 'thread')).toBe(false);
    // A calibration stored before the class: priced as before.
    const older = { ...gvisor, costs: gvisor.costs.filter((c) => c.class !== 'thread') };
    expect(attribute(counts, older, none, onThreads).inCommand.estimate).toBeCloseTo(attribute(COUNTS, gvisor, none).inCommand.estimate, 9);
  });

  test('the predicted total is fixed + in-command, and the check says how close a measurement is', () => {
    const p = predict(COUNTS, gvisor, none);
    expect(p.fixed.estimate).toBe(400);
    expect(p.total.estimate).toBeCloseTo(p.fixed.estimate + p.inCommand.estimate, 9);
    const measured = around(p.total.estimate * 1.1, 100);
    const check = checkPrediction(p, measured);
    expect(check.relativeError).toBeCloseTo(1 / 1.1 - 1, 9);
    expect(check.withinTolerance).toBe(true);
    expect(check.insideMeasuredInterval).toBe(false);
    expect(checkPrediction(p, around(p.total.estimate * 2, 10)).withinTolerance).toBe(false);
  });

  test("the fixed part adds the per-file cost (less the baseline's) times the files the command creates; a calibration without it adds nothing", () => {
    const counts = { ...COUNTS, create: 1_915 };
    // Before the per-file term, npm ci's 1 915 files cost docker nothing around the command.
    const without = predict(counts, gvisor, none);
    expect(without.fixed.estimate).toBe(400);
    expect(without.fixedForFiles.estimate).toBe(0);
    const perFile = { ...gvisor, fixedPerFileMs: around(0.0117, 0.002) };
    const base = { ...none, fixedPerFileMs: around(0.0002, 0.0005) };
    const p = predict(counts, perFile, base);
    expect(p.files).toBe(1_915);
    expect(p.fixedForFiles.estimate).toBeCloseTo(0.0115 * 1_915, 9);
    expect(p.fixed.estimate).toBeCloseTo(400 + 0.0115 * 1_915, 9);
    expect(p.total.estimate).toBeCloseTo(without.total.estimate + 0.0115 * 1_915, 9);
    // Half-widths in quadrature: the fixed parts' ±10 each and the files' (±0.002 and ±0.0005 per file).
    const margin = Math.sqrt(10 ** 2 + 10 ** 2 + (0.002 * 1_915) ** 2 + (0.0005 * 1_915) ** 2);
    expect(p.fixed.high - p.fixed.estimate).toBeCloseTo(margin, 9);
    // A calibration stored before the term (the field absent) or one side without it: no term.
    expect(predict(counts, perFile, none).fixedForFiles.estimate).toBe(0);
    expect(predict(counts, { ...perFile, fixedPerFileMs: null }, base).fixed.estimate).toBe(400);
    expect(predictionText([p], 'none')).toMatch(/= fixed \+400\.0 ms \+ 22\.02 ms for 1,915 creations\/removals \+ in-command /);
    expect(predictionText([without], 'none')).toMatch(/= fixed \+400\.0 ms \+ in-command /);
  });

  test("clock reads are priced only in gVisor's first second, and never cost more than it", () => {
    // 20 000 reads in 400 ms of CPU; on gVisor the other operations add O ms and each read, if all
    // were slow, 0.1 ms: the window's share of that run is 950 / (400 + O + 2 000) of the reads.
    const counts = { ...COUNTS, clock: 20_000 };
    const gvisorShares = attribute(counts, gvisor, none).shares;
    const share = gvisorShares.find((s) => s.class === 'clock');
    const otherMs = gvisorShares.filter((s) => s.class !== 'clock').reduce((sum, s) => sum + s.ms, 0);
    expect(otherMs).toBeCloseTo(attribute(COUNTS, gvisor, none).inCommand.estimate, 6);
    const reads = (CLOCK_WINDOW_MS * 20_000) / (400 + otherMs + 0.1 * 20_000);
    expect(share?.operations).toBeCloseTo(reads, 6);
    expect(share?.ms).toBeCloseTo(reads * (0.1 - 0.00003), 6);
    expect(share?.ms).toBeLessThan(CLOCK_WINDOW_MS);
    // Nothing else slower: 950 / (400 + 2 000) of them.
    expect(readsInWindow(counts, 0.1, 0)).toBeCloseTo((CLOCK_WINDOW_MS * 20_000) / 2_400, 6);
    // A command that reads the clock rarely, in a short run, has every read in the window; one that reads none, none.
    expect(readsInWindow({ ...COUNTS, clock: 300 }, 0.1, 0)).toBe(300);
    expect(readsInWindow(COUNTS, 0.1, 0)).toBe(0);
    // Where a read costs the host's (docker), it costs nothing against none either way.
    const docker = calibration('docker', { ...NONE, clock: 0.00003 }, NONE);
    expect(attribute(counts, docker, none).shares.find((s) => s.class === 'clock')?.ms).toBeCloseTo(0, 9);
  });
});
