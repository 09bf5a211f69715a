import fs from 'node:fs';
import path from 'node:path';
import { compareBackends } from '../compareBackends';
import { SandboxPerfMonitor, type RecordSink, type SandboxPerfRecord } from '../../sandbox/SandboxPerfMonitor';
import { StateDatabase } from '../../state/StateDatabase';
import { sandboxDir } from '../../../test/support/tempDir';

/*
 * compare writes each run's row between runs, untimed (issue 27): the history's writer thread
 * used to write the previous run's rows beside the next run's timed window (its age timer fired
 * there), taking CPU from the command on a 2-core machine. Real runs of `none` through the spawner.
 */

let dir: string;
beforeAll(() => {
  dir = sandboxDir('records-between');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("a real history's rows are written after each run, before the next starts, though its age timer would wait 60 s", async () => {
  const db = new StateDatabase({ path: path.join(dir, 'state.db'), flushIntervalMs: 60_000 });
  const monitor = new SandboxPerfMonitor({ sink: db });
  const writtenAfterRun: number[] = [];
  try {
    await compareBackends({
      backends: ['none'],
      command: ['true'],
      runs: 4,
      warmup: 1,
      sandbox: { cwd: dir },
      monitor,
      resolve: false,
      onRun: () => writtenAfterRun.push(db.health().written),
    });
  } finally {
    await db.close();
  }
  // Before: [0, 0, 0, 0] (every row still queued until the close).
  expect(writtenAfterRun).toEqual([1, 2, 3, 4]);
}, 60_000);

test("no run's timed window opens before the previous run's rows are written", async () => {
  const flushes: { calledAt: number; doneAt: number }[] = [];
  const records: SandboxPerfRecord[] = [];
  let queued = 0;
  // A sink that takes 50 ms to write, as a slow disk would.
  const sink: RecordSink & { flush(): Promise<{ complete: boolean }> } = {
    insert: (_table, record) => {
      records.push(record);
      queued++;
    },
    flush: async () => {
      const calledAt = Date.now();
      if (queued > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      queued = 0;
      flushes.push({ calledAt, doneAt: Date.now() });
      return { complete: true };
    },
  };
  const monitor = new SandboxPerfMonitor({ sink });
  await compareBackends({ backends: ['none'], command: ['true'], runs: 3, warmup: 0, sandbox: { cwd: dir }, monitor, resolve: false });
  expect(records).toHaveLength(3);
  expect(flushes).toHaveLength(3);
  for (let i = 1; i < records.length; i++) {
    const previousWritten = (flushes[i - 1] as { doneAt: number }).doneAt;
    // startTime is rounded to the millisecond.
    expect((records[i] as SandboxPerfRecord).startTime).toBeGreaterThanOrEqual(previousWritten - 1);
  }
}, 60_000);

test('a history that cannot be written is waited for once, then the runs go on without waiting', async () => {
  let calls = 0;
  const sink: RecordSink & { flush(): Promise<{ complete: boolean }> } = {
    insert: () => undefined,
    flush: () => {
      calls++;
      return Promise.resolve({ complete: false });
    },
  };
  const monitor = new SandboxPerfMonitor({ sink });
  const result = await compareBackends({
    backends: ['none'],
    command: ['true'],
    runs: 3,
    warmup: 0,
    sandbox: { cwd: dir },
    monitor,
    resolve: false,
  });
  expect(result.backends[0]?.durationsMs).toHaveLength(3);
  expect(calls).toBe(1);
}, 60_000);

test("the monitor's flush: true at once without a sink or without a flush(), false when the sink's flush fails", async () => {
  await expect(new SandboxPerfMonitor({ sink: false }).flush()).resolves.toBe(true);
  await expect(new SandboxPerfMonitor({ sink: { insert: () => undefined } }).flush()).resolves.toBe(true);
  const failing = { insert: () => undefined, flush: () => Promise.reject(new Error('disk gone')) };
  await expect(new SandboxPerfMonitor({ sink: failing }).flush()).resolves.toBe(false);
});
