import type { FixtureRun } from './historyFixture';

/*
 * A history with one known change: docker's runs step up by 18 % at run 60 of 120, none's stay
 * flat, and 30 runs without details (the `unknown` series) stay flat too. Runs one minute apart
 * from CHANGE_T0 (2026-12-03 12:00 UTC), interleaved over the three series; durations wiggle by
 * ±1 % on a fixed pattern, so the answer is exact.
 */
export const CHANGE_T0 = Date.UTC(2026, 11, 3, 12, 0);
export const STEP_AT = 60;

const wiggle = (i: number): number => 1 + (((i * 7) % 5) - 2) / 200;

/** The workload of the docker and none runs when `changeRuns` is asked for workloads. */
export const WORKLOAD = { id: 'cmd-0123456789ab', label: 'sleep 0.4' };

/**
 * With `workloads`, docker's and none's runs name WORKLOAD and time their command (400 ms and
 * 15 ms, ±1 %): docker's overhead then steps from about 100 to 190 ms (+90 %) where its duration
 * steps by 18 %, and none's stays flat.
 */
export function changeRuns(options: { workloads?: boolean } = {}): FixtureRun[] {
  const runs: FixtureRun[] = [];
  let t = CHANGE_T0;
  const add = (sandboxId: string, durationMs: number, backend?: string, commandMs?: number): void => {
    const record = { sandboxId, startTime: t, durationMs, outcome: 'success' as const, alertFired: false };
    const workload =
      options.workloads && commandMs !== undefined ? { workload: WORKLOAD.id, workloadLabel: WORKLOAD.label, commandMs } : {};
    runs.push(backend === undefined ? { record } : { record, details: { backend, exitCode: 0, ...workload } });
    t += 60_000;
  };
  for (let i = 0; i < 120; i++) {
    add(`docker-${i}`, (i < STEP_AT ? 500 : 590) * wiggle(i), 'docker', 400 * wiggle(i + 3));
    add(`none-${i}`, 20 * wiggle(i + 1), 'none', 15 * wiggle(i + 4));
    if (i % 4 === 0) add(`plain-${i}`, 100 * wiggle(i + 2));
  }
  return runs;
}

/** Start time of docker's run `i` (the three series interleave: docker, none, and every 4th run a plain one). */
export function dockerStart(i: number): number {
  return CHANGE_T0 + (i * 2 + Math.ceil(i / 4)) * 60_000;
}
