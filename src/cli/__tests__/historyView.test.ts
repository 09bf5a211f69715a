import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HistoryReader } from '../../state/read/HistoryReader';
import { storeRuns } from '../../../test/support/storeRuns';
import { buildHistoryView } from '../historyView';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-view-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("report's histogram bins on a log scale: 1 ms … 100 s runs spread over the bins instead of piling into the first", () => {
  const file = path.join(dir, 'state.db');
  // 1 ms, 100 s, and nine runs inside each of the five decades between (none on a decade's edge).
  const durations = [1, 100_000];
  for (let decade = 0; decade < 5; decade++) for (let k = 1; k <= 9; k++) durations.push(10 ** (decade + k / 10));
  storeRuns(
    file,
    durations.map((durationMs, i) => ({
      record: { sandboxId: `run-${i}`, startTime: 1_000_000 + i, durationMs, outcome: 'success', alertFired: false },
      details: { backend: 'none' },
    })),
  );
  const reader = new HistoryReader(file);
  try {
    const view = buildHistoryView(reader, file, { buckets: 5 });
    expect(view.histogram.map((b) => b.count)).toEqual([10, 9, 9, 9, 10]);
    const edges = view.histogram.map((b) => b.upperMs);
    [10, 100, 1000, 10_000].forEach((edge, i) => expect(edges[i]).toBeCloseTo(edge, 6));
    expect(edges[4]).toBe(100_000);
    expect(view.histogram[0]?.lowerMs).toBe(1);
    expect(view.histogram.reduce((n, b) => n + b.count, 0)).toBe(view.overall.count);
  } finally {
    reader.close();
  }
});

test('an empty history gives an empty histogram', () => {
  const reader = new HistoryReader(path.join(dir, 'absent.db'));
  try {
    expect(buildHistoryView(reader, 'absent.db', { buckets: 10 }).histogram).toEqual([]);
  } finally {
    reader.close();
  }
});
