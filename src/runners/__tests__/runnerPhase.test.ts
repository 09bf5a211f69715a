import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { runInSandbox, withRunnerPhase } from '../runInSandbox';
import { ENDED_AT, STARTED_AT, type TimedStopMeta } from '../../sandbox/endedAt';
import { TIMED_WINDOW, type TimedResult, type TimedWindow } from '../timedWindow';
import type { SandboxBackend, SandboxResult } from '../types';

/** Busy-waits `ms` on the event loop: time the backend spends outside any phase it reports. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** A backend that reports `setup` and `command` but spends 15 ms before, between and after them. */
class GappyBackend implements SandboxBackend {
  readonly name = 'none' as const;
  async prepare(): Promise<void> {}
  async teardown(): Promise<void> {}
  async run(): Promise<SandboxResult> {
    spin(5);
    let t = performance.now();
    spin(3);
    const setup = performance.now() - t;
    spin(5);
    t = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const command = performance.now() - t;
    spin(5);
    return {
      backend: 'none',
      outcome: 'success',
      exitCode: 0,
      signal: null,
      stdout: '',
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      phases: { setup, command },
      cpuMs: null,
      peakMemoryBytes: null,
      error: null,
      commandMs: command,
      timer: 'launcher',
    };
  }
}

test('the phases tile the record: time a backend spends outside its phases is phase `runner`, so overheadMs is their sum', async () => {
  const monitor = new SandboxPerfMonitor({ sink: false });
  const run = await runInSandbox(new GappyBackend(), ['true'], { monitor });
  expect(Object.keys(run.result.phases)).toEqual(['setup', 'command', 'runner']);
  expect(run.result.phases.runner).toBeGreaterThanOrEqual(15);
  const around = (run.result.phases.setup as number) + (run.result.phases.runner as number);
  expect(Math.abs((run.overheadMs as number) - around)).toBeLessThanOrEqual(0.5);
});

test('the record is the backend call, not the monitor.start before it: a pause there does not make it longer than its phases', async () => {
  // A pause between monitor.start's clock read and the backend call (a collection, the history's
  // first open): a docker-pool record was 1.3 ms longer than its phases in CI.
  class SlowStart extends SandboxPerfMonitor {
    override start(sandboxId: string): void {
      super.start(sandboxId);
      spin(5);
    }
  }
  const monitor = new SlowStart({ sink: false });
  const run = await runInSandbox(new GappyBackend(), ['true'], { monitor });
  const phaseSum = Object.values(run.result.phases).reduce((a, b) => a + b, 0);
  expect(Math.abs(phaseSum - run.record.durationMs)).toBeLessThanOrEqual(0.5);
});

test('withRunnerPhase never adds a negative phase and keeps the order of the others', () => {
  const result = { phases: { a: 2, command: 5 } } as unknown as SandboxResult;
  expect(withRunnerPhase(result, 10).phases).toEqual({ a: 2, command: 5, runner: 3 });
  expect(withRunnerPhase(result, 6).phases).toEqual({ a: 2, command: 5, runner: 0 });
  expect(result.phases).toEqual({ a: 2, command: 5 });
});

test("the monitor ends a record at the runner's end of run only when it lies between the run's start and now", () => {
  const monitor = new SandboxPerfMonitor({ sink: false });
  const stopAt = (endedAt: unknown): number => {
    monitor.start('r');
    const started = performance.now();
    spin(3);
    const meta = { outcome: 'success', [ENDED_AT]: typeof endedAt === 'function' ? (endedAt as (t: number) => number)(started) : endedAt };
    return monitor.stop('r', meta as TimedStopMeta).durationMs;
  };
  const exact = stopAt((started: number) => started + 1);
  expect(exact).toBeGreaterThanOrEqual(1);
  expect(exact).toBeLessThan(1.5);
  for (const bad of [Number.NaN, -1, (started: number) => started + 60_000, '5', null]) expect(stopAt(bad)).toBeGreaterThanOrEqual(3);
});

test('a JavaScript backend without phases, or with its own `runner` phase, is recorded as it reported, and the run ends', async () => {
  const monitor = new SandboxPerfMonitor({ sink: false });
  const bare = new GappyBackend();
  const run = bare.run.bind(bare);
  bare.run = async () => ({ ...(await run()), phases: undefined as unknown as Record<string, number> });
  const without = await runInSandbox(bare, ['true'], { monitor });
  expect(without.result.phases).toBeUndefined();
  const own = new GappyBackend();
  own.run = async () => ({ ...(await run()), phases: { command: 10, runner: 1 } });
  expect((await runInSandbox(own, ['true'], { monitor })).result.phases).toEqual({ command: 10, runner: 1 });
  expect(monitor.activeCount).toBe(0);
});

/** A backend whose own timer measured its run (the spawner's window), 10 ms of set-up before it and 10 after. */
class WindowedBackend extends GappyBackend {
  constructor(private readonly shift: (window: TimedWindow) => TimedWindow = (window) => window) {
    super();
  }

  override async run(): Promise<SandboxResult> {
    spin(10);
    const startedAt = performance.now();
    spin(5);
    const endedAt = performance.now();
    spin(10);
    const phases = { command: endedAt - startedAt };
    return { ...(await super.run()), phases, commandMs: phases.command, [TIMED_WINDOW]: this.shift({ startedAt, endedAt }) } as TimedResult;
  }
}

test("a backend's timed window is the record: the runner's set-up before it and teardown after it are in no record", async () => {
  const monitor = new SandboxPerfMonitor({ sink: false });
  const run = await runInSandbox(new WindowedBackend(), ['true'], { monitor });
  expect(run.record.durationMs).toBe(run.result.phases.command);
  expect(run.overheadMs).toBe(0);
  expect(run.result.phases.runner).toBe(0);
});

test('a timed window outside the backend call is not taken', async () => {
  const monitor = new SandboxPerfMonitor({ sink: false });
  const early = await runInSandbox(new WindowedBackend((w) => ({ startedAt: w.startedAt - 60_000, endedAt: w.endedAt })), ['true'], {
    monitor,
  });
  const late = await runInSandbox(new WindowedBackend((w) => ({ startedAt: w.startedAt, endedAt: w.endedAt + 60_000 })), ['true'], {
    monitor,
  });
  const reversed = await runInSandbox(new WindowedBackend((w) => ({ startedAt: w.endedAt, endedAt: w.startedAt })), ['true'], { monitor });
  for (const run of [early, late, reversed]) expect(run.record.durationMs).toBeGreaterThanOrEqual(25);
});

test("the monitor starts a record at the runner's start of run only when it lies between the run's start and its end", () => {
  const monitor = new SandboxPerfMonitor({ sink: false });
  const stopFrom = (startedAt: unknown): number => {
    monitor.start('r');
    const started = performance.now();
    spin(3);
    const from = typeof startedAt === 'function' ? (startedAt as (t: number) => number)(started) : startedAt;
    return monitor.stop('r', { outcome: 'success', [STARTED_AT]: from, [ENDED_AT]: started + 2 } as TimedStopMeta).durationMs;
  };
  expect(stopFrom((started: number) => started + 1)).toBeCloseTo(1, 9);
  // Not taken: the record then starts at start() (before `started`), so it spans at least 2 ms.
  for (const bad of [Number.NaN, -1, (started: number) => started + 2.5, '5', null]) expect(stopFrom(bad)).toBeGreaterThanOrEqual(2);
});
