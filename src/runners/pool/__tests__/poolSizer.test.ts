import { resolvePoolOptions } from '../poolOptions';
import { PoolSizer, type AutosizeOptions } from '../PoolSizer';
import { PoolSizing } from '../PoolSizing';
import { poissonTail, sizeForRate } from '../sizeForRate';

/** A sizer on a clock the test moves. */
function sizerAt(options: Partial<AutosizeOptions> = {}): { sizer: PoolSizer; advance: (ms: number) => void } {
  let now = 1_000_000;
  const sizer = new PoolSizer({ min: 2, max: 8, targetMissRate: 0.05, shrinkAfterMs: 30_000, ...options }, () => now);
  return { sizer, advance: (ms) => (now += ms) };
}

/** `count` runs spread evenly over `ms`, each deciding as the pool does on a run. */
function arrivals(s: ReturnType<typeof sizerAt>, count: number, ms: number, missed = false): void {
  for (let i = 0; i < count; i++) {
    s.advance(ms / count);
    s.sizer.arrived(missed);
    s.sizer.decide();
  }
}

describe("Little's law with a Poisson tail (sizeForRate)", () => {
  test('P(N >= s) for a Poisson mean', () => {
    expect(poissonTail(1, 0)).toBe(1);
    expect(poissonTail(1, 1)).toBeCloseTo(1 - Math.exp(-1), 12);
    expect(poissonTail(1, 2)).toBeCloseTo(1 - 2 * Math.exp(-1), 12);
    expect(poissonTail(0, 3)).toBe(0);
  });

  test('the size is the smallest whose miss probability is under the target, and grows with rate and refill time', () => {
    // 2 runs/s × 500 ms = 1 in refill: P(N>=3) = 8.0% > 5%, P(N>=4) = 1.9%.
    expect(sizeForRate(2, 500, 0.05)).toMatchObject({ inRefill: 1, size: 4 });
    expect(sizeForRate(2, 500, 0.05).missProbability).toBeCloseTo(0.019, 3);
    expect(sizeForRate(2, 500, 0.1).size).toBe(3);
    expect(sizeForRate(4, 500, 0.05).size).toBeGreaterThan(4);
    expect(sizeForRate(2, 1000, 0.05).size).toBeGreaterThan(4);
    // A rate in refill far above the size still ends (no endless loop on large or odd inputs).
    expect(sizeForRate(1000, 1000, 0.01).size).toBeGreaterThan(1000);
    expect(sizeForRate(Number.NaN, 1000, 0.01).size).toBeGreaterThanOrEqual(0);
  });
});

describe('PoolSizer: the self-sizing policy', () => {
  test('starts at min; without a refill measured it keeps its size', () => {
    const s = sizerAt();
    expect(s.sizer.current()).toMatchObject({ size: 2, cause: 'start', refillMs: null });
    arrivals(s, 3, 3000);
    expect(s.sizer.current()).toMatchObject({ size: 2, cause: 'start' });
    expect(s.sizer.current().arrivalRate).toBeGreaterThan(0);
  });

  test('grows under a burst to what the arrival rate × refill time needs, within max', () => {
    const s = sizerAt();
    s.sizer.refilled(500);
    arrivals(s, 4, 2000); // 2 runs/s × 0.5 s = 1 in refill: 4 keep misses under 5%
    expect(s.sizer.current()).toMatchObject({ size: 4, target: 4, cause: 'little', refillMs: 500 });
    expect(s.sizer.current().reason).toMatch(/runs\/s × 500 ms refill = 1\.\d\d in refill; 4 keep misses under 0\.05/);
    arrivals(s, 40, 1000); // a burst: tens of runs per second
    expect(s.sizer.current()).toMatchObject({ size: 8, target: 8, cause: 'little' });
  });

  test('grows by one per refill time while more runs miss than the target, even without a refill measured', () => {
    const s = sizerAt({ targetMissRate: 0.1 });
    arrivals(s, 8, 800, true);
    expect(s.sizer.current()).toMatchObject({ size: 3, cause: 'misses', missRate: 1 });
    arrivals(s, 4, 400, true); // less than a second (the refill time assumed) after the growth: no more
    expect(s.sizer.current().size).toBe(3);
    arrivals(s, 6, 600, true);
    expect(s.sizer.current().size).toBe(4);
  });

  test('shrinks only once the smaller size has been enough for shrinkAfterMs (hysteresis), to the largest size needed meanwhile', () => {
    const s = sizerAt({ shrinkAfterMs: 5000 });
    s.sizer.refilled(1000);
    arrivals(s, 30, 1000);
    expect(s.sizer.current().size).toBe(8);
    // A slower stream: 1 run/s needs 4 at 1 s refill; the window still holds the burst's runs for 10 s.
    arrivals(s, 12, 12_000);
    expect(s.sizer.current()).toMatchObject({ size: 8, cause: 'hold' });
    expect(s.sizer.current().reason).toMatch(/keeping 8 until \d has been enough for 5000 ms/);
    arrivals(s, 6, 6000);
    expect(s.sizer.current()).toMatchObject({ size: 4, target: 4, cause: 'little' });
  });

  test('does not shrink while more runs miss than the target, whatever the arrival rate says', () => {
    const s = sizerAt({ shrinkAfterMs: 5000 });
    s.sizer.refilled(1000);
    arrivals(s, 30, 1000, true);
    arrivals(s, 20, 20_000, true);
    expect(s.sizer.current()).toMatchObject({ size: 8, cause: 'hold' });
    expect(s.sizer.current().reason).toMatch(/keeping 8: (\d+) of the last \1 runs waited$/);
  });

  test('a lull shorter than shrinkAfterMs keeps the size', () => {
    const s = sizerAt({ shrinkAfterMs: 20_000 });
    s.sizer.refilled(1000);
    arrivals(s, 30, 1000);
    arrivals(s, 3, 15_000);
    expect(s.sizer.current().size).toBe(8);
    arrivals(s, 30, 1000);
    expect(s.sizer.current().size).toBe(8);
  });

  test('shrinks to min when idle for shrinkAfterMs', () => {
    const s = sizerAt({ shrinkAfterMs: 30_000 });
    s.sizer.refilled(1000);
    arrivals(s, 30, 1000);
    expect(s.sizer.current().size).toBe(8);
    s.advance(29_000);
    expect(s.sizer.decide().size).toBe(8);
    s.advance(1000);
    expect(s.sizer.decide()).toMatchObject({ size: 2, target: 2, cause: 'idle', reason: 'no run in the last 30000 ms: min 2' });
  });

  test('stays within its bounds whatever it measures', () => {
    const s = sizerAt({ min: 3, max: 5, shrinkAfterMs: 2000 });
    let seed = 7;
    const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const sizes = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      if (random() < 0.1) s.sizer.refilled(random() * 3000);
      s.advance(random() < 0.01 ? 5000 : random() * 200);
      if (random() < 0.7) s.sizer.arrived(random() < 0.5);
      sizes.add(s.sizer.decide().size);
    }
    expect([...sizes].every((size) => size >= 3 && size <= 5 && Number.isInteger(size))).toBe(true);
    expect([Math.min(...sizes), Math.max(...sizes)]).toEqual([3, 5]);
  });
});

describe('PoolSizing: the pool side', () => {
  test('a fixed size never changes and has no decision', () => {
    const sizing = new PoolSizing(3, null, () => undefined);
    sizing.arrived(true);
    expect(sizing.size).toBe(3);
    expect(sizing.decision()).toBeNull();
  });

  test('calls onResize when the size changes, and its timer shrinks an idle pool', async () => {
    const resized: number[] = [];
    const sizing: PoolSizing = new PoolSizing(1, { min: 1, max: 4, targetMissRate: 0.05, shrinkAfterMs: 100 }, () =>
      resized.push(sizing.size),
    );
    sizing.start();
    try {
      sizing.refilled(1000);
      for (let i = 0; i < 10; i++) sizing.arrived(true);
      expect(sizing.size).toBe(4);
      expect(resized).toEqual([4]);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(sizing.size).toBe(1);
      expect(resized).toEqual([4, 1]);
      expect(sizing.decision()).toMatchObject({ cause: 'idle' });
    } finally {
      sizing.stop();
    }
  });
});

describe('the size option', () => {
  test('{ min, max } makes a self-sizing pool starting at min, holding at most 2 × max; defaults for the rest', () => {
    expect(resolvePoolOptions({ size: { min: 1, max: 8 } })).toEqual({
      size: 1,
      autosize: { min: 1, max: 8, targetMissRate: 0.05, shrinkAfterMs: 30_000 },
      maxSandboxes: 16,
      acquireTimeoutMs: 60_000,
      refillConcurrency: 2,
    });
    expect(resolvePoolOptions({ size: 3 }).autosize).toBeNull();
  });

  test.each([
    [{ size: { min: 4, max: 2 } }, RangeError, /^Expected `pool.size.max` to be a finite integer >= 4 and <= 64, got `2`/],
    [{ size: { max: 2 } }, TypeError, /^Expected `pool.size.min` to be a finite integer >= 1 and <= 64, got `undefined`/],
    [
      { size: { min: 1, max: 2, targetMissRate: 0 } },
      RangeError,
      /^Expected `pool.size.targetMissRate` to be a finite number >= 0.0001 and <= 1, got `0`/,
    ],
    [
      { size: { min: 1, max: 2, target: 0.1 } },
      TypeError,
      /^Expected `pool.size.target` to be one of 'min', 'max', 'targetMissRate', 'shrinkAfterMs'/,
    ],
    [
      { size: { min: 1, max: 8 }, maxSandboxes: 4 },
      RangeError,
      /^Expected `pool.maxSandboxes` to be a finite integer >= 8 and <= 256, got `4`/,
    ],
  ])('%j is refused', (options, kind, message) => {
    expect(() => resolvePoolOptions(options as never)).toThrow(kind);
    expect(() => resolvePoolOptions(options as never)).toThrow(message);
  });
});
