import path from 'node:path';
import Database from 'better-sqlite3';
import { nearestRankIndex } from '../../stats/percentile';
import { assertNumberInRange, assertPlainObject, expectation, ValidationError } from '../../validation';
import { assertReadableVersion } from '../schema';
import { checkChangeQuery, readChanges, type ChangeQuery, type SeriesChanges } from './historyChanges';
import { assertOwnDatabasePath } from '../ownership';
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
  type Get,
  type Source,
} from './historySources';

/** Which runs a history query covers. */
export interface HistoryWindow {
  /** Runs that started at or after this time, epoch ms (inclusive). @default no lower bound */
  since?: number;
  /** Runs that started before this time, epoch ms (exclusive). @default no upper bound */
  until?: number;
  /** Only runs recorded with this backend (`sandbox_run_details.backend`). @default every run */
  backend?: string;
}

/** The monitor's report fields, over persisted runs. Durations in milliseconds; all 0 when count is 0. */
export interface HistoryReport {
  count: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  alertCount: number;
  /** Nearest rank on ascending durations: index ceil(q * count) - 1, as the monitor does. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface BackendHistoryReport extends HistoryReport {
  backend: string;
}

export interface PhaseHistoryReport {
  backend: string;
  phase: string;
  count: number;
  meanMs: number;
  p95Ms: number;
}

/** Runs with `lowerMs <= duration < upperMs`; the last bucket also holds `duration == upperMs` (the maximum). */
export interface HistogramBucket {
  lowerMs: number;
  upperMs: number;
  count: number;
}

const EMPTY: HistoryReport = { count: 0, meanMs: 0, minMs: 0, maxMs: 0, alertCount: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 };
const MAX_BUCKETS = 1000;
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
  private db: Database.Database | undefined;
  /** PRAGMA user_version, read again by every query: a writer may migrate the file while it is open. */
  private version = 0;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly getRow: Get = (sql, params) => this.get(sql, params);

  constructor(file: string) {
    if (typeof file !== 'string' || file.length === 0) throw new ValidationError(expectation('path', 'a non-empty file path', file));
    this.path = path.resolve(file);
    this.open();
  }

  report(window: HistoryWindow = {}): HistoryReport {
    const source = this.source(window);
    if (!source) return { ...EMPTY };
    const rank = (count: number, q: number): number => durationAtRank(this.getRow, source, count, nearestRankIndex(q, count));
    if (source.joined) {
      // With a join every aggregate costs a pass over the joined rows: one pass for all of them.
      const t = this.get<{ n: number; sum: number; min: number; max: number; alerts: number }>(
        'SELECT count(*) AS n, total(r.duration_ms) AS sum, min(r.duration_ms) AS min, max(r.duration_ms) AS max, ' +
          `total(r.alert_fired) AS alerts FROM ${source.from} ${source.where}`,
        source.params,
      );
      const count = t?.n ?? 0;
      if (!t || count === 0) return { ...EMPTY };
      return {
        count,
        meanMs: t.sum / count,
        minMs: t.min,
        maxMs: t.max,
        alertCount: t.alerts,
        p50Ms: rank(count, 0.5),
        p95Ms: rank(count, 0.95),
        p99Ms: rank(count, 0.99),
      };
    }
    const totals = this.get<{ n: number; sum: number }>(
      `SELECT count(*) AS n, total(r.duration_ms) AS sum FROM ${source.from} ${source.where}`,
      source.params,
    );
    const count = totals?.n ?? 0;
    if (!totals || count === 0) return { ...EMPTY };
    // The literal `alert_fired = 1` lets SQLite use a partial index of alerts (migrations 3 and 4).
    const alerts = this.get<{ n: number }>(
      `SELECT count(*) AS n FROM ${source.from} ${source.where ? `${source.where} AND` : 'WHERE'} r.alert_fired = 1`,
      source.params,
    );
    return {
      count,
      meanMs: totals.sum / count,
      minMs: rank(count, 0),
      maxMs: rank(count, 1),
      alertCount: alerts?.n ?? 0,
      p50Ms: rank(count, 0.5),
      p95Ms: rank(count, 0.95),
      p99Ms: rank(count, 0.99),
    };
  }

  /** One report per backend that has runs in the window, by backend name. Runs without details are not counted. */
  byBackend(window: Omit<HistoryWindow, 'backend'> = {}): BackendHistoryReport[] {
    this.checkWindow(window);
    if (!this.ensureOpen() || this.version < 2) return [];
    return distinctValues(this.getRow, 'backend', 'sandbox_run_details')
      .map((backend) => ({ backend, ...this.report({ ...window, backend }) }))
      .filter((report) => report.count > 0);
  }

  /** Count, mean and p95 of every phase, per backend, for runs in the window. */
  phases(window: HistoryWindow = {}): PhaseHistoryReport[] {
    this.checkWindow(window);
    if (!this.ensureOpen() || this.version < 2) return [];
    if (this.version < COPIES_VERSION) return this.joinedPhases(window);
    const backends = window.backend === undefined ? distinctValues(this.getRow, 'backend', 'sandbox_run_phases') : [window.backend];
    const result: PhaseHistoryReport[] = [];
    for (const backend of backends) {
      for (const phase of distinctValues(this.getRow, 'phase', 'sandbox_run_phases', 'backend = ?', [backend])) {
        const source = phaseSource(window, backend, phase);
        const t = this.get<{ n: number; mean: number }>(
          `SELECT count(*) AS n, avg(r.duration_ms) AS mean FROM ${source.from} ${source.where}`,
          source.params,
        );
        if (!t || t.n === 0) continue;
        result.push({
          backend,
          phase,
          count: t.n,
          meanMs: t.mean,
          p95Ms: durationAtRank(this.getRow, source, t.n, nearestRankIndex(0.95, t.n)),
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
    const bounds = typeof buckets === 'number' ? undefined : checkBounds(buckets);
    if (typeof buckets === 'number') assertNumberInRange('buckets', buckets, 1, MAX_BUCKETS, true);
    else if (!Array.isArray(buckets))
      throw new ValidationError(expectation('buckets', 'a bucket count or an array of upper bounds', buckets));
    const report = this.report(window);
    const source = this.source(window);
    if (!source || report.count === 0) return [];
    const { minMs, maxMs } = report;
    let edges: number[];
    let bucketOf: string;
    let bucketParams: number[];
    if (bounds) {
      edges = [...bounds];
      if ((edges.at(-1) as number) < maxMs) edges.push(maxMs);
      // The number of upper bounds at or below the duration; the maximum itself stays in the last bucket.
      bucketOf = `min(${edges.map(() => '(r.duration_ms >= ?)').join(' + ')}, ${edges.length - 1})`;
      bucketParams = edges;
    } else {
      const n = buckets as number;
      const width = (maxMs - minMs) / n;
      edges = Array.from({ length: n }, (_, i) => (i === n - 1 ? maxMs : minMs + (i + 1) * width));
      bucketOf = width > 0 ? `min(CAST((r.duration_ms - ?) / ? AS INTEGER), ${n - 1})` : '0';
      bucketParams = width > 0 ? [minMs, width] : [];
    }
    const counts = new Array<number>(edges.length).fill(0);
    const rows = this.all<{ b: number; n: number }>(
      `SELECT ${bucketOf} AS b, count(*) AS n FROM ${source.from} ${source.where} GROUP BY b`,
      [...bucketParams, ...source.params],
    );
    for (const { b, n } of rows) counts[b] = (counts[b] ?? 0) + n;
    return edges.map((upperMs, i) => ({
      lowerMs: i === 0 ? Math.min(minMs, upperMs) : (edges[i - 1] as number),
      upperMs,
      count: counts[i] as number,
    }));
  }

  /**
   * Change points of each series (per backend; per workload too once the history has them), oldest
   * first: E-divisive means with a t-test over the runs in the window (docs/change-points.md).
   */
  changes(query: ChangeQuery = {}): SeriesChanges[] {
    checkChangeQuery(query);
    if (!this.ensureOpen()) return [];
    return readChanges(this.db as Database.Database, this.version, query);
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
    if (!this.ensureOpen()) return [];
    return readWorkloads(this.db as Database.Database, this.version, window);
  }

  /** The machine fingerprints of the backend runs in the window (schema 6; runs written before carry none), oldest first. */
  fingerprints(window: HistoryWindow = {}): FingerprintRuns[] {
    this.checkWindow(window);
    if (!this.ensureOpen()) return [];
    return readFingerprints(this.db as Database.Database, this.version, window);
  }

  /** One line naming what differs when the window's backend runs come from more than one machine state; else null. */
  fingerprintWarning(window: HistoryWindow = {}): string | null {
    return fingerprintMixWarning(this.fingerprints(window));
  }

  close(): void {
    this.statements.clear();
    this.db?.close();
    this.db = undefined;
  }

  private source(window: HistoryWindow): Source | undefined {
    this.checkWindow(window);
    if (!this.ensureOpen()) return undefined;
    return window.backend === undefined
      ? recordsSource(this.getRow, window)
      : backendSource(this.getRow, this.version, window, window.backend);
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
    const groups = this.all<{ backend: string; phase: string; n: number; mean: number }>(
      `SELECT d.backend AS backend, p.phase AS phase, count(*) AS n, avg(p.duration_ms) AS mean FROM ${from} ${where} ` +
        'GROUP BY d.backend, p.phase ORDER BY d.backend, p.phase',
      params,
    );
    const and = where ? `${where} AND` : 'WHERE';
    return groups.map((g) => {
      const p95 = this.get<{ ms: number }>(
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

  /** Opens the file if it exists now (it may appear after the reader was made); false while it does not. */
  private ensureOpen(): boolean {
    if (!this.db) return this.open();
    this.version = assertReadableVersion(this.db, this.path);
    return true;
  }

  private open(): boolean {
    // Refused before opening: a FIFO would block this thread, a foreign file is not a history.
    const found = assertOwnDatabasePath(this.path);
    if (found.kind === 'missing' || found.kind === 'empty') return false;
    const db = new Database(this.path, { readonly: true, fileMustExist: true });
    try {
      const version = assertReadableVersion(db, this.path);
      // A file created but not yet migrated has no table: empty, and looked at again next time.
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sandbox_perf_records'").get()) {
        db.close();
        return false;
      }
      this.version = version;
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
    return true;
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = (this.db as Database.Database).prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the one place a query's row type is asserted
  private get<T>(sql: string, params: readonly unknown[]): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }

  private all<T>(sql: string, params: readonly unknown[]): T[] {
    return this.statement(sql).all(...params) as T[];
  }
}

function checkBounds(bounds: readonly number[]): readonly number[] {
  // Checked as unknown: JavaScript callers may pass anything, and Array.isArray(bounds) would make it any[].
  const list: unknown = bounds;
  if (!Array.isArray(list) || bounds.length === 0 || bounds.length > MAX_BUCKETS) {
    throw new ValidationError(expectation('buckets', `a bucket count or 1 to ${MAX_BUCKETS} ascending upper bounds`, bounds));
  }
  bounds.forEach((b, i) => {
    if (typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number))) {
      throw new RangeError(expectation(`buckets[${i}]`, 'a finite number above the previous bound', b));
    }
  });
  return bounds;
}
