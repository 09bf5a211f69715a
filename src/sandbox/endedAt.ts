import type { StopMeta } from './types';

/**
 * Where sandbox-perf's own runner (recordRun) puts the moment the backend call ended
 * (`performance.now()`), so the record ends exactly where its phases do and `overheadMs` equals the
 * phases other than `command` (the time recordRun spends building the details and the monitor
 * spends checking them is then in neither). Not exported from the package: other callers'
 * `stop()` reads the clock itself. The monitor takes it only between the run's start and now.
 */
export const ENDED_AT: unique symbol = Symbol('sandbox-perf.endedAt');

/** StopMeta with the runner's end of run. */
export type TimedStopMeta = StopMeta & { [ENDED_AT]?: number };
