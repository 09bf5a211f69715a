// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import { detectChangePoints, type ChangePoint } from '../../stats/changePoints';
import { resolveChangePointOptions, type ChangePointOptions } from '../../stats/changePointOptions';
import { assertNumberInRange, assertOneOf, assertPlainObject, expectation, ValidationError } from '../../validation';
import { readRunSeries, SERIES_METRICS, type SeriesMetric, type SeriesQuery } from './runSeries';

/** Which series to read and how to detect their changes. */
export interface ChangeQuery extends SeriesQuery {
  /** Options of detectChangePoints (src/stats/changePoints.ts); `times` come from the history. */
  detector?: Omit<ChangePointOptions, 'times'>;
}

/** The change points of one series (a workload on a backend, or a backend's runs without a workload), oldest first. */
export interface SeriesChanges {
  backend: string;
  /** null for the runs that name no workload. */
  workload: string | null;
  /** The workload's readable label, e.g. `sleep 0.2`; null without a workload. */
  workloadLabel: string | null;
  metric: SeriesMetric;
  /** Runs analysed. */
  runs: number;
  /** Epoch ms of the first and last run analysed. */
  firstStart: number;
  lastStart: number;
  changes: ChangePoint[];
}

/** Change points of every series the query selects, by backend. Pure reads; the detector runs in this thread. */
export function readChanges(db: Database.Database, version: number, query: ChangeQuery = {}): SeriesChanges[] {
  checkChangeQuery(query);
  return readRunSeries(db, version, query).map((s) => ({
    backend: s.backend,
    workload: s.workload,
    workloadLabel: s.workloadLabel,
    metric: s.metric,
    runs: s.values.length,
    firstStart: s.times[0] as number,
    lastStart: s.times[s.times.length - 1] as number,
    changes: detectChangePoints(s.values, { ...query.detector, times: s.times }),
  }));
}

export function checkChangeQuery(query: ChangeQuery): void {
  assertPlainObject('query', query);
  if (query.since !== undefined) assertNumberInRange('since', query.since, Number.MIN_SAFE_INTEGER);
  if (query.until !== undefined) assertNumberInRange('until', query.until, Number.MIN_SAFE_INTEGER);
  for (const key of ['backend', 'workload'] as const) {
    const v: unknown = query[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) throw new ValidationError(expectation(key, 'a non-empty string', v));
  }
  if (query.metric !== undefined) assertOneOf('metric', query.metric, SERIES_METRICS);
  if (query.maxRuns !== undefined) assertNumberInRange('maxRuns', query.maxRuns, 1, Number.MAX_SAFE_INTEGER, true);
  if (query.detector !== undefined) {
    assertPlainObject('detector', query.detector);
    resolveChangePointOptions([], query.detector);
  }
}
