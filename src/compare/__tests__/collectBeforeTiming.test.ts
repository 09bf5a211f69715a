import fs from 'node:fs';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { compareBackends } from '../compareBackends';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { TIMED_WINDOW, type TimedResult } from '../../runners/timedWindow';
import { sandboxDir } from '../../../test/support/tempDir';

/*
 * compare collects this process's garbage before its first timed run (issue 27): a fresh runner's
 * first major collection otherwise came during the first timed runs, V8 marking and sweeping on
 * both cores beside the command. Real runs of `none` through the spawner; the collections are
 * V8's own reports (perf_hooks 'gc' entries).
 */

/** A 'gc' entry: which collection it was is in its detail. */
type GcEntry = PerformanceEntry & { detail?: { kind?: number } };

let dir: string;
beforeAll(() => {
  dir = sandboxDir('collect-before');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a major collection runs after the last warm-up run and before the first timed window opens', async () => {
  const majors: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if ((entry as GcEntry).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors.push(entry);
  });
  observer.observe({ entryTypes: ['gc'] });
  let warmupEnded = Number.NaN;
  const windows: number[] = [];
  try {
    await compareBackends({
      backends: ['none'],
      command: ['true'],
      runs: 3,
      warmup: 1,
      sandbox: { cwd: dir },
      monitor: new SandboxPerfMonitor({ sink: false }),
      resolve: false,
      onWarmupRun: () => (warmupEnded = performance.now()),
      onRun: (_backend, result) => {
        const window = (result as TimedResult)[TIMED_WINDOW];
        if (window) windows.push(window.startedAt);
      },
    });
    // gc entries are delivered after the collection, on a later turn of the loop.
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    observer.disconnect();
  }
  expect(windows).toHaveLength(3);
  const firstWindow = windows[0] as number;
  const between = majors.filter((gc) => gc.startTime >= warmupEnded && gc.startTime + gc.duration <= firstWindow);
  // Before: none (the next major collection was V8's to place, wherever the runs were).
  expect(between.length).toBeGreaterThanOrEqual(1);
}, 60_000);
