import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { runInSandbox, withRunnerPhase } from '../runInSandbox';
import { ENDED_AT, type TimedStopMeta } from '../../sandbox/endedAt';
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
