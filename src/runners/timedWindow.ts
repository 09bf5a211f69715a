import type { SandboxResult } from './types';

/**
 * Where a backend puts the window its own timer measured the run in (`performance.now()` values):
 * the host backends' spawner reads CLOCK_MONOTONIC right before the command line's exec and right
 * after its reap. recordRun then records exactly that window (the monitor's STARTED_AT/ENDED_AT),
 * so that the runner's set-up before it and teardown after it are in no record. Not exported from
 * the package, like ENDED_AT: a JavaScript backend cannot shrink its own record.
 */
export const TIMED_WINDOW: unique symbol = Symbol('sandbox-perf.timedWindow');

export interface TimedWindow {
  startedAt: number;
  endedAt: number;
}

/** A result that may carry its timed window. */
export type TimedResult = SandboxResult & { [TIMED_WINDOW]?: TimedWindow };

/** The result's timed window when it lies within the backend call (`from` … `to`), else null. */
export function timedWindowOf(result: SandboxResult, from: number, to: number): TimedWindow | null {
  const window: unknown = (result as TimedResult)[TIMED_WINDOW];
  if (typeof window !== 'object' || window === null) return null;
  const { startedAt, endedAt } = window as Partial<TimedWindow>;
  if (typeof startedAt !== 'number' || typeof endedAt !== 'number') return null;
  return from <= startedAt && startedAt <= endedAt && endedAt <= to ? { startedAt, endedAt } : null;
}
