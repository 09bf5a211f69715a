import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { nearestRankIndex } from '../stats/percentile';
import { assertNumberInRange, assertPlainObject, expectation } from '../validation';
import { assertReadableVersion } from './schema';

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
/** Relative costs of the percentile plans (measured on 1 million rows): sorting a row, visiting an index entry with a join lookup. */
const SORT_COST = 4;
const JOIN_VISIT_COST = 5;
/** From this schema version, details and phases hold copies of the run's time, duration, alert and backend (migration 4). */
const COPIES_VERSION = 4;

/**
 * Where a query reads its runs (aliased r, with columns start_time, duration_ms, alert_fired) and
 * how a percentile reaches them.
 */
interface Source {
  /** FROM clause of the aggregates: the planner's choice. */
  from: string;
  /** FROM clause walking an index in duration order: `ORDER BY duration_ms LIMIT 1 OFFSET k` without a sort. */
  walk: string;
  /** Reading only the window's rows and sorting them instead; absent where no index does better than the walk. */
  sort?: {
    from: string;
    /** Cost of visiting an entry of the walked index: 1 when it covers the query, more with a join lookup. */
    visitCost: number;
    /** Entries of the walked index range, given the window's count: the walk visits about (offset + 1) × range / count. */
    walkRange: (count: number) => number;
  };
  /** `WHERE ...` or '' */
  where: string;
  params: (number | string)[];
  /** Count, sum, min, max and alerts in one pass (with a join); otherwise min and max are index steps and alerts come from a partial index. */
  onePass: boolean;
}

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

  constructor(file: string) {
    if (typeof file !== 'string' || file.length === 0) throw new TypeError(expectation('path', 'a non-empty file path', file));
    this.path = path.resolve(file);
    this.open();
  }

  report(window: HistoryWindow = {}): HistoryReport {
    const source = this.source(window);
    if (!source) return { ...EMPTY };
    const rank = (count: number, q: number): number => this.durationAtRank(source, count, nearestRankIndex(q, count));
    if (source.onePass) {
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
    return this.distinct('backend', 'sandbox_run_details', '', [])
      .map((backend) => ({ backend, ...this.report({ ...window, backend }) }))
      .filter((report) => report.count > 0);
  }

  /** Count, mean and p95 of every phase, per backend, for runs in the window. */
  phases(window: HistoryWindow = {}): PhaseHistoryReport[] {
    this.checkWindow(window);
    if (!this.ensureOpen() || this.version < 2) return [];
    if (this.version < COPIES_VERSION) return this.joinedPhases(window);
    const backends = window.backend === undefined ? this.distinct('backend', 'sandbox_run_phases', '', []) : [window.backend];
    const result: PhaseHistoryReport[] = [];
    for (const backend of backends) {
      for (const phase of this.distinct('phase', 'sandbox_run_phases', 'backend = ?', [backend])) {
        const source = phaseSource(backend, phase, window);
        const t = this.get<{ n: number; mean: number }>(
          `SELECT count(*) AS n, avg(r.duration_ms) AS mean FROM ${source.from} ${source.where}`,
          source.params,
        );
        if (!t || t.n === 0) continue;
        result.push({ backend, phase, count: t.n, meanMs: t.mean, p95Ms: this.durationAtRank(source, t.n, nearestRankIndex(0.95, t.n)) });
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
    else if (!Array.isArray(buckets)) throw new TypeError(expectation('buckets', 'a bucket count or an array of upper bounds', buckets));
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

  close(): void {
    this.statements.clear();
    this.db?.close();
    this.db = undefined;
  }

  /**
   * The duration at a 0-based rank of the ascending order. Two plans, chosen by estimated rows
   * visited: walk the duration index from the nearer end (no sort; visits offset × range/count
   * entries, each with a lookup when joined), or sort just the rows of the window.
   */
  private durationAtRank(source: Source, count: number, rank: number): number {
    const fromTop = rank > (count - 1) / 2;
    const offset = fromTop ? count - 1 - rank : rank;
    const sort = source.sort;
    const walk = sort ? (((offset + 1) * Math.max(1, sort.walkRange(count))) / count) * sort.visitCost : 0;
    const row = this.get<{ ms: number }>(
      `SELECT r.duration_ms AS ms FROM ${sort && walk > count * SORT_COST ? sort.from : source.walk} ${source.where} ` +
        `ORDER BY r.duration_ms ${fromTop ? 'DESC' : 'ASC'} LIMIT 1 OFFSET ?`,
      [...source.params, offset],
    );
    return row?.ms ?? 0;
  }

  /** Rows in the records table, from the largest id: O(log n), exact unless rows were pruned. */
  private rowEstimate(): number {
    return this.get<{ n: number | null }>('SELECT max(id) AS n FROM sandbox_perf_records', [])?.n ?? 0;
  }

  private source(window: HistoryWindow): Source | undefined {
    this.checkWindow(window);
    if (!this.ensureOpen()) return undefined;
    const bounded = window.since !== undefined || window.until !== undefined;
    const conditions = timeConditions(window);
    const params: (number | string)[] = timeParams(window);
    if (window.backend === undefined) {
      return {
        from: 'sandbox_perf_records AS r',
        walk: 'sandbox_perf_records AS r INDEXED BY sandbox_perf_records_duration',
        sort: {
          // Without a window, "sort" would otherwise still be planned as a walk of the duration index.
          from: `sandbox_perf_records AS r ${bounded ? 'INDEXED BY sandbox_perf_records_start_time' : 'NOT INDEXED'}`,
          visitCost: 1,
          walkRange: () => this.rowEstimate(),
        },
        where: whereOf(conditions),
        params,
        onePass: false,
      };
    }
    if (this.version < 2) return undefined;
    const backend = window.backend;
    if (this.version >= COPIES_VERSION) {
      let range: number | undefined;
      return {
        from: 'sandbox_run_details AS r',
        walk: 'sandbox_run_details AS r INDEXED BY sandbox_run_details_backend_duration',
        sort: {
          from: 'sandbox_run_details AS r INDEXED BY sandbox_run_details_backend_time',
          visitCost: 1,
          // The backend's runs of all time: only a window narrower than that needs counting them (once per report).
          walkRange: (count) =>
            bounded
              ? (range ??= this.get<{ n: number }>('SELECT count(*) AS n FROM sandbox_run_details WHERE backend = ?', [backend])?.n ?? 0)
              : count,
        },
        where: whereOf(['r.backend = ?', ...conditions]),
        params: [backend, ...params],
        onePass: false,
      };
    }
    // Before migration 4: the records joined with their details. CROSS JOIN keeps the records
    // outermost, so that a walk walks their duration index and a windowed sort ranges over their
    // start times (with the details outer, that range would be scanned once per detail row).
    const join = 'JOIN sandbox_run_details d ON d.record_id = r.id';
    return {
      from: `sandbox_perf_records AS r ${join}`,
      walk: `sandbox_perf_records AS r INDEXED BY sandbox_perf_records_duration CROSS ${join}`,
      sort: {
        from: bounded
          ? `sandbox_perf_records AS r INDEXED BY sandbox_perf_records_start_time CROSS ${join}`
          : `sandbox_perf_records AS r NOT INDEXED ${join}`,
        visitCost: JOIN_VISIT_COST,
        walkRange: () => this.rowEstimate(),
      },
      where: whereOf([...conditions, 'd.backend = ?']),
      params: [...params, backend],
      onePass: true,
    };
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

  /**
   * The distinct values of an indexed column, ascending, by one index step each (a skip scan):
   * a handful of backends or phases cost a handful of lookups, however many runs they have.
   */
  private distinct(column: 'backend' | 'phase', table: string, where: string, params: readonly string[]): string[] {
    const and = where ? `WHERE ${where} AND` : 'WHERE';
    const values: string[] = [];
    let next = this.get<{ v: string | null }>(`SELECT min(${column}) AS v FROM ${table} ${where ? `WHERE ${where}` : ''}`, params)?.v;
    while (next !== null && next !== undefined) {
      values.push(next);
      next = this.get<{ v: string | null }>(`SELECT min(${column}) AS v FROM ${table} ${and} ${column} > ?`, [...params, next])?.v;
    }
    return values;
  }

  private checkWindow(window: HistoryWindow): void {
    assertPlainObject('window', window);
    if (window.since !== undefined) assertNumberInRange('since', window.since, Number.MIN_SAFE_INTEGER);
    if (window.until !== undefined) assertNumberInRange('until', window.until, Number.MIN_SAFE_INTEGER);
    if (window.backend !== undefined && (typeof window.backend !== 'string' || window.backend.length === 0)) {
      throw new TypeError(expectation('backend', 'a non-empty string', window.backend));
    }
  }

  /** Opens the file if it exists now (it may appear after the reader was made); false while it does not. */
  private ensureOpen(): boolean {
    if (!this.db) return this.open();
    this.version = assertReadableVersion(this.db, this.path);
    return true;
  }

  private open(): boolean {
    if (!fs.existsSync(this.path)) return false;
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
    throw new TypeError(expectation('buckets', `a bucket count or 1 to ${MAX_BUCKETS} ascending upper bounds`, bounds));
  }
  bounds.forEach((b, i) => {
    if (typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number))) {
      throw new RangeError(expectation(`buckets[${i}]`, 'a finite number above the previous bound', b));
    }
  });
  return bounds;
}

function timeConditions(window: HistoryWindow): string[] {
  return [...(window.since === undefined ? [] : ['r.start_time >= ?']), ...(window.until === undefined ? [] : ['r.start_time < ?'])];
}

function timeParams(window: HistoryWindow): number[] {
  return [...(window.since === undefined ? [] : [window.since]), ...(window.until === undefined ? [] : [window.until])];
}

function whereOf(conditions: readonly string[]): string {
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

/** One phase of one backend (migration 4): its one index leads with the duration, so a window is filtered, never ranged. */
function phaseSource(backend: string, phase: string, window: HistoryWindow): Source {
  const from = 'sandbox_run_phases AS r INDEXED BY sandbox_run_phases_backend_duration';
  return {
    from,
    walk: from,
    where: whereOf(['r.backend = ?', 'r.phase = ?', ...timeConditions(window)]),
    params: [backend, phase, ...timeParams(window)],
    onePass: true,
  };
}
