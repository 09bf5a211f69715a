import {
  baselineIsolationCost,
  byTotalCost,
  momentsOf,
  pairedIsolationCost,
  unpairedIsolationCost,
  welchFromMoments,
  type Moments,
} from '../isolationCost';
import { meanInterval } from '../intervals';
import { welchInterval } from '../twoSample';

const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
const moments = (xs: readonly number[]): Moments => momentsOf(xs.length, sum(xs), sum(xs.map((x) => x * x)));

describe('pairedIsolationCost', () => {
  // gVisor-like: little around the command, much inside it (issue 26's npm start: 1.965 s against 234 ms).
  const noneCommand = [234, 240, 229, 236, 238];
  const command = [1965, 1990, 1940, 1972, 1958];
  const duration = command.map((c, i) => c + ([40, 44, 38, 41, 43][i] as number));

  it('splits the total into fixed + inCommand, each with its paired t interval', () => {
    const cost = pairedIsolationCost(duration, command, noneCommand);
    expect(cost).not.toBeNull();
    if (!cost) return;
    expect(cost.method).toBe('paired');
    expect(cost.runs).toBe(5);
    expect(cost.fixed).toBeCloseTo(41.2, 10);
    expect(cost.inCommand).toBeCloseTo(sum(command) / 5 - sum(noneCommand) / 5, 10);
    expect(cost.total).toBeCloseTo(cost.fixed + cost.inCommand, 10);
    expect(cost.low).toBeLessThanOrEqual(cost.total);
    expect(cost.high).toBeGreaterThanOrEqual(cost.total);
    expect(cost.intervals.total).toEqual(meanInterval(duration.map((d, i) => d - (noneCommand[i] as number))));
    expect(cost.intervals.inCommand).toEqual(meanInterval(command.map((c, i) => c - (noneCommand[i] as number))));
    expect(cost.intervals.fixed).toEqual(meanInterval(duration.map((d, i) => d - (command[i] as number))));
  });

  it('leaves out a round where any side failed or was not timed, and needs two complete rounds', () => {
    const cost = pairedIsolationCost([10, null, 12, 14], [5, 6, null, 7], [4, 4, 4, 5]);
    expect(cost?.runs).toBe(2);
    expect(cost?.fixed).toBeCloseTo(6, 10);
    expect(cost?.inCommand).toBeCloseTo(1.5, 10);
    expect(pairedIsolationCost([10, null], [5, 6], [4, 4])).toBeNull();
    expect(pairedIsolationCost([], [], [])).toBeNull();
  });

  it('gives none against itself an inCommand of exactly 0', () => {
    const cost = pairedIsolationCost([250, 260, 255], [240, 249, 246], [240, 249, 246]);
    expect(cost?.inCommand).toBe(0);
    expect(cost?.intervals.inCommand.low).toBe(0);
    expect(cost?.total).toBeCloseTo(cost?.fixed ?? NaN, 10);
  });
});

describe('unpairedIsolationCost', () => {
  it('matches the paired identity from sums, with Welch intervals against none', () => {
    const duration = [700, 720, 690, 710];
    const command = [250, 262, 245, 255];
    const overhead = duration.map((d, i) => d - (command[i] as number));
    const none = [240, 236, 244, 238, 242];
    const cost = unpairedIsolationCost(
      { durationMs: moments(duration), commandMs: moments(command), overheadMs: moments(overhead) },
      moments(none),
    );
    expect(cost?.method).toBe('unpaired');
    expect(cost?.total).toBeCloseTo((cost?.fixed ?? NaN) + (cost?.inCommand ?? NaN), 9);
    const total = welchInterval(duration, none);
    expect(cost?.low).toBeCloseTo(total?.low ?? NaN, 9);
    expect(cost?.high).toBeCloseTo(total?.high ?? NaN, 9);
    expect(cost?.intervals.inCommand.estimate).toBeCloseTo(welchInterval(command, none)?.estimate ?? NaN, 9);
    expect(cost?.intervals.fixed.low).toBeCloseTo(meanInterval(overhead)?.low ?? NaN, 9);
  });

  it('is null below two timed runs on either side', () => {
    const one = momentsOf(1, 5, 25);
    const two = momentsOf(2, 10, 52);
    expect(unpairedIsolationCost({ durationMs: one, commandMs: one, overheadMs: one }, two)).toBeNull();
    expect(unpairedIsolationCost({ durationMs: two, commandMs: two, overheadMs: two }, one)).toBeNull();
  });

  it('welchFromMoments agrees with welchInterval from values', () => {
    const a = [3, 5, 9, 4];
    const b = [1, 2, 2, 7, 3];
    const w = welchInterval(a, b);
    const m = welchFromMoments(moments(a), moments(b));
    expect(m.low).toBeCloseTo(w?.low ?? NaN, 9);
    expect(m.high).toBeCloseTo(w?.high ?? NaN, 9);
    expect(welchFromMoments(moments([2, 2]), moments([1, 1]))).toMatchObject({ estimate: 1, low: 1, high: 1 });
  });
});

describe('baselineIsolationCost', () => {
  it('gives none, from sums, an inCommand of exactly 0 and its fixed part as the total, same interval', () => {
    const duration = [250, 260, 255];
    const command = [240, 249, 246];
    const overhead = duration.map((d, i) => d - (command[i] as number));
    const cost = baselineIsolationCost({ durationMs: moments(duration), commandMs: moments(command), overheadMs: moments(overhead) });
    expect(cost?.inCommand).toBe(0);
    expect(cost?.intervals.inCommand).toMatchObject({ low: 0, high: 0 });
    expect(cost?.total).toBeCloseTo(cost?.fixed ?? NaN, 10);
    expect(cost?.low).toBeCloseTo(meanInterval(overhead)?.low ?? NaN, 9);
    expect(
      baselineIsolationCost({ durationMs: momentsOf(1, 5, 25), commandMs: momentsOf(1, 4, 16), overheadMs: momentsOf(1, 1, 1) }),
    ).toBeNull();
  });
});

describe('byTotalCost', () => {
  it('ranks by total, most costly first, whatever the fixed part says; unknown last', () => {
    const cost = (fixed: number, inCommand: number) =>
      pairedIsolationCost([fixed + inCommand + 1, fixed + inCommand - 1], [inCommand + 1, inCommand - 1], [0, 0]);
    const ranked = byTotalCost([
      { backend: 'docker', isolationMs: cost(450, 10) },
      { backend: 'none', isolationMs: null },
      { backend: 'gvisor', isolationMs: cost(40, 1700) },
      { backend: 'bubblewrap', isolationMs: cost(5, 2) },
    ]);
    expect(ranked.map((b) => b.backend)).toEqual(['gvisor', 'docker', 'bubblewrap', 'none']);
  });
});
