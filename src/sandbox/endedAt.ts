import type { StopMeta } from './types';

/**
 * Where sandbox-perf's own runner (recordRun) puts the moment the backend call ended
 * (`performance.now()`), so the record ends exactly where its phases do and `overheadMs` equals the
 * phases other than `command` (the time recordRun spends building the details and the monitor
 * spends checking them is then in neither). Not exported from the package: other callers'
 * `stop()` reads the clock itself. The monitor takes it only between the run's start and now.
 */
export const ENDED_AT: unique symbol = Symbol('sandbox-perf.endedAt');

/**
 * Where recordRun puts the moment the backend's own timer started the run (the spawner's reading
 * right before the command's exec, as `performance.now()`), so that a host run's record spans the
 * spawner's window and nothing of the runner's set-up before it. Taken only between the monitor's
 * start of the run and its end.
 */
export const STARTED_AT: unique symbol = Symbol('sandbox-perf.startedAt');

/** StopMeta with the runner's start and end of run. */
export type TimedStopMeta = StopMeta & { [ENDED_AT]?: number; [STARTED_AT]?: number };
