import { ActiveRuns } from '../ActiveRuns';

describe('ActiveRuns', () => {
  it('begins, refuses a second begin of a running id, and ends once', () => {
    const runs = new ActiveRuns();
    expect(runs.begin('a', 10)).toBe(true);
    expect(runs.begin('a', 20)).toBe(false);
    expect(runs.startOf('a')).toBe(10);
    expect(runs.size).toBe(1);
    expect(runs.end('a')).toBe(10);
    expect(runs.end('a')).toBeUndefined();
    expect(runs.startOf('a')).toBeUndefined();
    expect(runs.size).toBe(0);
    expect(runs.end('never')).toBeUndefined();
  });

  it('reuses the slot of an id that comes back', () => {
    const runs = new ActiveRuns();
    const wrong: number[] = [];
    for (let i = 0; i < 5000; i++) {
      if (!runs.begin('same', i) || runs.end('same') !== i) wrong.push(i);
    }
    expect(wrong).toEqual([]);
    expect([...runs.entries()]).toEqual([]);
  });

  it('keeps every run in flight, with its own start, across compactions of unique ids', () => {
    const runs = new ActiveRuns();
    const inFlight = new Map<string, number>();
    // 3 000 long runs stay open while 100 000 short ones with unique ids come and go.
    for (let i = 0; i < 3000; i++) {
      runs.begin(`long-${i}`, i);
      inFlight.set(`long-${i}`, i);
    }
    const wrong: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      if (!runs.begin(`short-${i}`, 1e6 + i)) wrong.push(i);
      if (i % 7 === 0) inFlight.set(`short-${i}`, 1e6 + i);
      else if (runs.end(`short-${i}`) !== 1e6 + i) wrong.push(i);
    }
    expect(wrong).toEqual([]);
    expect(runs.size).toBe(inFlight.size);
    expect(new Map(runs.entries())).toEqual(inFlight);
    for (const [id, start] of inFlight) if (runs.end(id) !== start) wrong.push(start);
    expect(wrong).toEqual([]);
    expect(runs.size).toBe(0);
  });

  it('holds at most four slots per run in flight (or 1 024) however many ids went through', () => {
    const runs = new ActiveRuns();
    for (let i = 0; i < 50_000; i++) {
      runs.begin(`id-${i}`, i);
      runs.end(`id-${i}`);
    }
    const internals = runs as unknown as { slotOf: Map<string, number>; starts: Float64Array };
    expect(internals.slotOf.size).toBeLessThanOrEqual(1024);
    expect(internals.starts.length).toBe(1024);
  });
});
