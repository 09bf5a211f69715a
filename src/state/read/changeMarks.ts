// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import { readChanges } from './historyChanges';
import type { SeriesMetric } from './runSeries';

/*
 * Change points as marks for a time chart (the dashboard) and as news for a log (`serve`): one
 * flat list over every series, newest first. Only the most recent runs of each series are read,
 * so that a poll stays cheap however long the history (2 000 runs: about 10 ms per series).
 */

/** Runs per series that the dashboard and serve analyse. */
export const MARK_RUNS = 2000;

export interface ChangeMark {
  backend: string;
  workload: string | null;
  workloadLabel: string | null;
  metric: SeriesMetric;
  /** Epoch ms of the first run after the change. */
  time: number;
  /** after / before − 1 of the means; null when the mean before is 0. */
  relativeChange: number | null;
  pValue: number;
  meanBeforeMs: number;
  meanAfterMs: number;
}

export function readChangeMarks(db: Database.Database, version: number, options: { sinceMs?: number | undefined } = {}): ChangeMark[] {
  const marks: ChangeMark[] = [];
  for (const series of readChanges(db, version, { since: options.sinceMs, maxRuns: MARK_RUNS })) {
    for (const c of series.changes) {
      marks.push({
        backend: series.backend,
        workload: series.workload,
        workloadLabel: series.workloadLabel,
        metric: series.metric,
        time: c.time as number,
        relativeChange: c.relativeChange,
        pValue: c.pValue,
        meanBeforeMs: c.before.mean,
        meanAfterMs: c.after.mean,
      });
    }
  }
  return marks.sort((a, b) => b.time - a.time);
}

/** `+18 %`, `-4.2 %`: whole percents from 10 %, one decimal below; `from 0` without a mean before. */
export function formatChange(relative: number | null): string {
  if (relative === null) return 'from 0';
  const pct = relative * 100;
  const digits = Math.abs(pct) >= 10 ? 0 : 1;
  return `${pct >= 0 ? '+' : '-'}${Math.abs(pct).toFixed(digits)} %`;
}

/** `0.0003`, `0.042`, `3.2e-41`: two significant figures. */
export function formatP(p: number): string {
  if (p === 0) return '0';
  return p >= 1e-4 ? String(Number(p.toPrecision(2))) : p.toExponential(1);
}

/** `2026-12-03 14:05 UTC` */
export function formatChangeTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `docker`, or `docker (sleep 0.2)` for a workload's series. */
export function seriesName(series: Pick<ChangeMark, 'backend' | 'workload' | 'workloadLabel'>): string {
  return series.workload === null ? series.backend : `${series.backend} (${series.workloadLabel ?? series.workload})`;
}

/**
 * `+18 % overhead on docker (sleep 0.2) since 2026-12-03 14:05 UTC (p = 0.0003)`; names as given
 * (escape them for a terminal).
 */
export function changeLine(
  mark: Pick<ChangeMark, 'backend' | 'workload' | 'workloadLabel' | 'metric' | 'time' | 'relativeChange' | 'pValue'>,
): string {
  const where = seriesName(mark);
  return `${formatChange(mark.relativeChange)} ${mark.metric} on ${where} since ${formatChangeTime(mark.time)} (p = ${formatP(mark.pValue)})`;
}
