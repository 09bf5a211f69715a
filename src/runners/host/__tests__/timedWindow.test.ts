import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { gvisorMissing, toolMissing } from '../../../../test/support/runners';
import { SandboxPerfMonitor, type SandboxPerfRecord } from '../../../sandbox/SandboxPerfMonitor';
import { StateDatabase } from '../../../state/StateDatabase';
import { compareBackends } from '../../../compare/compareBackends';
import { createBackend } from '../../createBackend';
import { runInSandbox } from '../../runInSandbox';
import type { BackendName, SandboxBackend } from '../../types';
import { probeFreezer, probePids } from '../containmentGroup';
import { launcherStatus } from '../launcher';
import { spawnerStatus } from '../Spawner';
import { ownerTag } from '../../owner';
import { layerAroundWindow } from '../spawnedRun';
import { TIMED_WINDOW, type TimedResult } from '../../timedWindow';
import { sandboxDir } from '../../../../test/support/tempDir';

/*
 * What lies inside each host backend's timed window (docs/runners.md, "The timed window"): the
 * record is the spawner's window and nothing else, its phases are the ones the table names and
 * tile it, and the runner's set-up and teardown are reported apart, untimed. Not how fast: speed
 * belongs to `npm run bench`.
 */

const cwd = sandboxDir('window');
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

const built = (spawnerStatus().path === null || launcherStatus().path === null) && 'the spawner and the launcher are not built';
const INSTALL = 'a C compiler (apt-get install gcc), then node native/build.js';
const BACKENDS: { name: BackendName; missing: string | false; phases: string[]; timer: string; optional?: boolean }[] = [
  { name: 'none', missing: built, phases: ['command'], timer: 'spawner' },
  { name: 'unshare', missing: built || toolMissing('unshare'), phases: ['spawn', 'command', 'exit'], timer: 'launcher' },
  { name: 'bubblewrap', missing: built || toolMissing('bwrap'), phases: ['spawn', 'command', 'exit'], timer: 'launcher' },
  // gVisor's clock is its own: the launcher's reading gives the command's length, not its place.
  { name: 'gvisor', missing: built || gvisorMissing(), phases: ['sandbox', 'command'], timer: 'launcher', optional: true },
];

test("an overlay run's layer: made before the window and discarded after it (untimed), its outputs kept back after it (timed)", () => {
  const result = {
    phases: { layer: 2, spawn: 1, command: 10, exit: 1, keep: 3, discard: 4 },
    untimed: { setupMs: 5, teardownMs: 6 },
    [TIMED_WINDOW]: { startedAt: 100, endedAt: 112 },
  } as unknown as TimedResult;
  const placed = layerAroundWindow(result);
  expect(placed.phases).toEqual({ spawn: 1, command: 10, exit: 1, keep: 3 });
  expect(placed.untimed).toEqual({ setupMs: 7, teardownMs: 10 });
  expect(placed[TIMED_WINDOW]).toEqual({ startedAt: 100, endedAt: 115 });
});

for (const { name, missing, phases, timer, optional } of BACKENDS) {
  describeWhen(
    `${name}: the timed window`,
    missing,
    INSTALL,
    () => {
      let backend: SandboxBackend;
      beforeAll(async () => {
        backend = createBackend(name, { cwd });
        await backend.prepare();
      }, 120_000);
      afterAll(() => backend.teardown());

      test(`the record is the spawner's window: phases ${phases.join(', ')} tile it, set-up and teardown are outside`, async () => {
        const monitor = new SandboxPerfMonitor({ sink: false });
        const before = Date.now();
        const run = await runInSandbox(backend, ['true'], { monitor });
        const after = Date.now();
        expect(run.result.outcome).toBe('success');
        expect(Object.keys(run.result.phases)).toEqual([...phases, 'runner']);
        expect(run.result.timer).toBe(timer);
        // Nothing of the runner's between the phases: they are the spawner's and the launcher's readings.
        expect(run.result.phases.runner).toBeLessThan(1e-6);
        const phaseSum = Object.values(run.result.phases).reduce((sum, ms) => sum + ms, 0);
        expect(run.record.durationMs).toBeCloseTo(phaseSum, 6);
        expect(run.result.untimed?.setupMs).toBeGreaterThan(0);
        expect(run.result.untimed?.teardownMs).toBeGreaterThan(0);
        // The set-up before the window is in no record: the record starts after the call did.
        expect(run.record.startTime).toBeGreaterThanOrEqual(before - 1);
        expect(run.record.startTime + run.record.durationMs).toBeLessThanOrEqual(after + 1);
        if (name === 'none') {
          // The spawner times the command itself: all of the record is the command, no overhead.
          expect(run.commandMs).toBe(run.record.durationMs);
          expect(run.overheadMs).toBe(0);
        } else {
          expect(run.commandMs).toBeLessThan(run.record.durationMs);
        }
      }, 60_000);

      test("the runner's event loop, blocked for 1 s while the run is in flight, is not in its record (issue 27.4)", async () => {
        const monitor = new SandboxPerfMonitor({ sink: false });
        let blockEnd: number | undefined;
        const run = await runInSandbox(backend, ['sh', '-c', 'echo started; sleep 0.3'], {
          monitor,
          onOutput: () => {
            if (blockEnd !== undefined) return;
            // Blocks this thread as a busy loop would, without taking a CPU from the tests beside this file.
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
            blockEnd = Date.now();
          },
        });
        expect(blockEnd).toBeDefined();
        expect(run.result.outcome).toBe('success');
        expect(run.record.durationMs).toBeGreaterThanOrEqual(300);
        // The command ends 0.3 s after the output that started the block (its record ended 660-710 ms
        // before the block did, at a load of 6). Before the spawner the run's end was read on this
        // loop, after the block: the record ended after it. 300 ms apart from both, whatever the
        // rounding of the records' wall clock.
        expect(run.record.startTime + run.record.durationMs).toBeLessThan((blockEnd as number) - 300);
      }, 60_000);

      test("compare: the history's writer thread writes no row inside a run's timed window (each row is written between runs)", async () => {
        const db = new StateDatabase({ path: path.join(cwd, '..', `${path.basename(cwd)}-${name}.db`) });
        const monitor = new SandboxPerfMonitor({ sink: db });
        const records: SandboxPerfRecord[] = [];
        monitor.on('record', (record) => records.push(record));
        // Between which two samples (every millisecond, wall clock as the records' startTime) the writer's count of written
        // rows went up: a sample read late (the event loop busy with the next run's request) widens the interval, never hides it.
        const writes: { after: number; by: number }[] = [];
        let written = 0;
        let sampledAt = Date.now();
        const sampler = setInterval(() => {
          const now = db.health().written;
          if (now > written) writes.push({ after: sampledAt, by: Date.now() });
          written = now;
          sampledAt = Date.now();
        }, 1);
        try {
          // Runs of 300 ms: the writer's age timer (50 ms) fell inside the next run's window before.
          await compareBackends({
            backends: [name],
            command: ['sleep', '0.3'],
            runs: 3,
            warmup: 0,
            sandbox: { cwd },
            monitor,
            resolve: false,
          });
          // The last rows may be written after compare returns (the writer waits for a gap between
          // runs): sample until all three are, so that the check below never passes on no write.
          const until = Date.now() + 10_000;
          while (db.health().written < 3 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
        } finally {
          clearInterval(sampler);
          await db.close();
          fs.rmSync(db.path, { force: true });
          for (const suffix of ['-wal', '-shm']) fs.rmSync(`${db.path}${suffix}`, { force: true });
        }
        expect(records).toHaveLength(3);
        expect(writes.length).toBeGreaterThan(0);
        // startTime is rounded to the millisecond.
        const inside = writes.filter(({ after, by }) =>
          records.some((r) => after > r.startTime + 1 && by < r.startTime + r.durationMs - 1),
        );
        expect(inside).toEqual([]);
      }, 120_000);

      test('the untimed set-up is what the run needs before its clock: the command starts in its group (none: its pids group, else its freezer group)', async () => {
        const run = await backend.run(['cat', '/proc/self/cgroup']);
        expect(run.outcome).toBe('success');
        // none's one group holds its processes and its process limit (issue 23, finding 4); no other backend joins one.
        const controller = probePids().root !== null ? 'pids' : 'freezer';
        const group = new RegExp(`^\\d+:${controller}:(.*)$`, 'm').exec(run.stdout)?.[1];
        if (name === 'none' && (probePids().root ?? probeFreezer().root) !== null)
          expect(group).toMatch(new RegExp(`^/sandbox-perf/run-${ownerTag().replace(/\./g, '\\.')}-c\\w+$`));
        else expect(group ?? '').not.toMatch(/sandbox-perf/);
      }, 60_000);
    },
    { optional },
  );
}
