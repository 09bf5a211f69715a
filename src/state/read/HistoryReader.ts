import path from 'node:path';
import { nearestRankIndex } from '../../stats/percentile';
import { assertNumberInRange, assertPlainObject, expectation, ValidationError } from '../../validation';
import { checkChangeQuery, readChanges, type ChangeQuery, type SeriesChanges } from './historyChanges';
import { fingerprintMixWarning, readFingerprints, type FingerprintRuns } from '../fingerprintHistory';
import { readWorkloads, type WorkloadHistoryReport, type WorkloadWindow } from './workloadHistory';
import {
  backendSource,
  COPIES_VERSION,
  distinctValues,
  durationAtRank,
  phaseSource,
  recordsSource,
  timeConditions,
  timeParams,
  whereOf,
  type Source,
} from './historySources';
import { HistoryFile } from './HistoryFile';
import { summarizeSource } from './sourceSummary';
import { bucketCounts, checkBuckets } from './durationHistogram';
import type { BackendHistoryReport, HistogramBucket, HistoryReport, HistoryWindow, PhaseHistoryReport } from './historyTypes';

export type { BackendHistoryReport, HistogramBucket, HistoryReport, HistoryWindow, PhaseHistoryReport } from './historyTypes';

const EMPTY: HistoryReport = { count: 0, meanMs: 0, minMs: 0, maxMs: 0, alertCount: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 };

/**
 * Read-only queries over the persisted runs: the monitor's report for a time window (and a
 * backend), per backend, per phase, and a duration histogram. Everything is computed in SQL with
 * the indexes of the schema; no query loads the rows into JavaScript. A file that does not exist
 * (yet) reads as empty; a file from a newer sandbox-perf throws `SchemaTooNewError`.
 *
 * From schema version 4 a backend's runs are read from the covering indexes of
 * `sandbox_run_details`, and phases from that of `sandbox_run_phases`, without a join. A file
 * still at version 2 or 3 (no writer of this version has opened it yet) gives the same answers
 * through joins with `sandbox_perf_records`, more slowly.
 */
export class HistoryReader {
  readonly path: string;
  private readonly file: HistoryFile;

  constructor(file: string) {
    if (typeof file !== 'string' || file.length === 0) throw new ValidationError(expectation('path', 'a non-empty file path', file));
    this.path = path.resolve(file);
    this.file = new HistoryFile(this.path);
  }

  report(window: HistoryWindow = {}): HistoryReport {
    const source = this.source(window);
    const t = source && summarizeSource(this.file.get, source);
    if (!t) return { ...EMPTY };
    return {
      count: t.count,
      meanMs: t.sum / t.count,
      minMs: t.at(0),
      maxMs: t.at(1),
      alertCount: t.alerts,
      p50Ms: t.at(0.5),
      p95Ms: t.at(0.95),
      p99Ms: t.at(0.99),
    };
  }

  /** One report per backend that has runs in the window, by backend name. Runs without details are not counted. */
  byBackend(window: Omit<HistoryWindow, 'backend'> = {}): BackendHistoryReport[] {
    this.checkWindow(window);
    if (!this.file.ready() || this.file.version < 2) return [];
    return distinctValues(this.file.get, 'backend', 'sandbox_run_details')
      .map((backend) => ({ backend, ...this.report({ ...window, backend }) }))
      .filter((report) => report.count > 0);
  }

  /** Count, mean and p95 of every phase, per backend, for runs in the window. */
  phases(window: HistoryWindow = {}): PhaseHistoryReport[] {
    this.checkWindow(window);
    if (!this.file.ready() || this.file.version < 2) return [];
    if (this.file.version < COPIES_VERSION) return this.joinedPhases(window);
    const backends = window.backend === undefined ? distinctValues(this.file.get, 'backend', 'sandbox_run_phases') : [window.backend];
    const result: PhaseHistoryReport[] = [];
    for (const backend of backends) {
      for (const phase of distinctValues(this.file.get, 'phase', 'sandbox_run_phases', 'backend = ?', [backend])) {
        const source = phaseSource(window, backend, phase);
        const t = this.file.get<{ n: number; mean: number }>(
          `SELECT count(*) AS n, avg(r.duration_ms) AS mean FROM ${source.from} ${source.where}`,
          source.params,
        );
        if (!t || t.n === 0) continue;
        result.push({
          backend,
          phase,
          count: t.n,
          meanMs: t.mean,
          p95Ms: durationAtRank(this.file.get, source, t.n, nearestRankIndex(0.95, t.n)),
        });
      }
    }
    return result;
  }

  /**
   * Counts per duration bucket, in one pass. `buckets` is either a number of equal-width buckets
   * spanning [min, max] of the window (the last edge is the maximum itself, so rounding cannot
   * leave it out), or ascending upper bounds in ms (a last bucket up to the maximum is added when
   * runs reach past the last bound).
   */
  histogram(window: HistoryWindow, buckets: number | readonly number[]): HistogramBucket[] {
    checkBuckets(buckets);
    const report = this.report(window);
    const source = this.source(window);
    if (!source || report.count === 0) return [];
    return bucketCounts((sql, params) => this.file.all(sql, params), source, report, buckets);
  }

  /**
   * Change points of each series (per backend; per workload too once the history has them), oldest
   * first: E-divisive means with a t-test over the runs in the window (docs/change-points.md).
   */
  changes(query: ChangeQuery = {}): SeriesChanges[] {
    checkChangeQuery(query);
    if (!this.file.ready()) return [];
    return readChanges(this.file.db, this.file.version, query);
  }

  /**
   * Per workload (`sandbox_run_overhead`, schema 5): each backend's runs by outcome, the duration
   * and decomposition statistics of its successful runs, and ratios to `none` within the workload.
   */
  byWorkload(window: WorkloadWindow = {}): WorkloadHistoryReport[] {
    this.checkWindow(window);
    if (window.workload !== undefined && (typeof window.workload !== 'string' || window.workload.length === 0)) {
      throw new ValidationError(expectation('workload', 'a non-empty string', window.workload));
    }
    if (!this.file.ready()) return [];
    return readWorkloads(this.file.db, this.file.version, window);
  }

  /** The machine fingerprints of the backend runs in the window (schema 6; runs written before carry none), oldest first. */
  fingerprints(window: HistoryWindow = {}): FingerprintRuns[] {
    this.checkWindow(window);
    if (!this.file.ready()) return [];
    return readFingerprints(this.file.db, this.file.version, window);
  }

  /** One line naming what differs when the window's backend runs come from more than one machine state; else null. */
  fingerprintWarning(window: HistoryWindow = {}): string | null {
    return fingerprintMixWarning(this.fingerprints(window));
  }

  close(): void {
    this.file.close();
  }

  private source(window: HistoryWindow): Source | undefined {
    this.checkWindow(window);
    if (!this.file.ready()) return undefined;
    return window.backend === undefined
      ? recordsSource(this.file.get, window)
      : backendSource(this.file.get, this.file.version, window, window.backend);
  }

  /** phases() before migration 4: the phases joined with their run and its details. */
  private joinedPhases(window: HistoryWindow): PhaseHistoryReport[] {
    const conditions = timeConditions(window);
    const params: (number | string)[] = timeParams(window);
    if (window.backend !== undefined) {
      conditions.push('d.backend = ?');
      params.push(window.backend);
    }
    const from =
      'sandbox_perf_records AS r JOIN sandbox_run_details d ON d.record_id = r.id JOIN sandbox_run_phases p ON p.record_id = r.id';
    const where = whereOf(conditions);
    const groups = this.file.all<{ backend: string; phase: string; n: number; mean: number }>(
      `SELECT d.backend AS backend, p.phase AS phase, count(*) AS n, avg(p.duration_ms) AS mean FROM ${from} ${where} ` +
        'GROUP BY d.backend, p.phase ORDER BY d.backend, p.phase',
      params,
    );
    const and = where ? `${where} AND` : 'WHERE';
    return groups.map((g) => {
      const p95 = this.file.get<{ ms: number }>(
        `SELECT p.duration_ms AS ms FROM ${from} ${and} d.backend = ? AND p.phase = ? ORDER BY p.duration_ms LIMIT 1 OFFSET ?`,
        [...params, g.backend, g.phase, nearestRankIndex(0.95, g.n)],
      );
      return { backend: g.backend, phase: g.phase, count: g.n, meanMs: g.mean, p95Ms: p95?.ms ?? 0 };
    });
  }

  private checkWindow(window: HistoryWindow): void {
    assertPlainObject('window', window);
    if (window.since !== undefined) assertNumberInRange('since', window.since, Number.MIN_SAFE_INTEGER);
    if (window.until !== undefined) assertNumberInRange('until', window.until, Number.MIN_SAFE_INTEGER);
    if (window.backend !== undefined && (typeof window.backend !== 'string' || window.backend.length === 0)) {
      throw new ValidationError(expectation('backend', 'a non-empty string', window.backend));
    }
  }
}
