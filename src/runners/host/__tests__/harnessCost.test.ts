import { describeWhen } from '../../../../test/support/e2e';
import { harnessLine } from '../../../cli/format/comparisonText';
import { measureHarnessCost, type HarnessCost } from '../harnessCost';
import { resetSpawnerStatus, spawnerStatus } from '../Spawner';

/* The harness's own cost per run (issue 27.6): measured through the spawner, stated as hyperfine states its overhead. */

describeWhen(
  'the harness cost, measured',
  spawnerStatus().path === null && 'the spawner is not built',
  'a C compiler (apt-get install gcc), then node native/build.js',
  () => {
    test('runs of nothing through the spawner: a median inside the timed window and one outside it', async () => {
      const cost = await measureHarnessCost(7);
      expect(cost).toMatchObject({ timer: 'spawner', runs: 7, why: null });
      expect(cost.insideMs).toBeGreaterThan(0);
      // Outside: the request, the fork, the group join, the report, this process's handling of it.
      expect(cost.outsideMs).toBeGreaterThan(0);
    }, 60_000);
  },
);

test('without the spawner nothing is measured, and it says why', async () => {
  const saved = process.env.SANDBOX_PERF_SPAWNER;
  process.env.SANDBOX_PERF_SPAWNER = 'off';
  resetSpawnerStatus();
  try {
    expect(await measureHarnessCost(3)).toEqual({
      timer: 'node',
      insideMs: null,
      outsideMs: null,
      runs: 0,
      why: 'SANDBOX_PERF_SPAWNER=off',
    });
  } finally {
    if (saved === undefined) delete process.env.SANDBOX_PERF_SPAWNER;
    else process.env.SANDBOX_PERF_SPAWNER = saved;
    resetSpawnerStatus();
  }
});

test("compare's header line: inside and outside the window, or why nothing was measured", () => {
  const measured: HarnessCost = { timer: 'spawner', insideMs: 0.21, outsideMs: 1.5, runs: 30, why: null };
  expect(harnessLine(measured, (ms) => `${ms.toFixed(2)} ms`)).toBe(
    "0.21 ms per run inside each host run's timed window (the spawner's wake-up and reap), 1.50 ms outside it (set-up and teardown, not counted); median of 30 runs of nothing",
  );
  expect(harnessLine({ timer: 'node', insideMs: null, outsideMs: null, runs: 0, why: 'SANDBOX_PERF_SPAWNER=off' })).toBe(
    'not measured (host runs are started and timed from Node: SANDBOX_PERF_SPAWNER=off)',
  );
});
