import { nearestRankIndex } from '../../stats/percentile';
import { durationAtRank, type Get, type Source } from './historySources';

/**
 * Count, sums and alerts of the runs a source holds, and its durations at ranks: the summary query
 * that HistoryReader.report and the dashboard's overhead per backend share.
 */
export interface SourceSummary {
  count: number;
  /** Sum of durations, ms. */
  sum: number;
  /** Sum of squared durations (only when asked for; else 0): the variance without a second pass. */
  sumSquares: number;
  alerts: number;
  /** Duration at quantile q (0 = min, 1 = max) by the nearest-rank rule: index ceil(q * count) - 1. */
  at(q: number): number;
}

/**
 * One summary of a source, or undefined when it holds no run. With a join every aggregate costs a
 * pass over the joined rows, so count, sums, min, max and alerts come in one pass; otherwise the
 * sums come from one range of an index, alerts from the partial index on `alert_fired = 1`, and
 * min and max are rank queries (index steps), asked only when read.
 */
export function summarizeSource(get: Get, source: Source, options: { squares?: boolean } = {}): SourceSummary | undefined {
  const squares = options.squares === true ? 'total(r.duration_ms * r.duration_ms)' : '0';
  const rank = (count: number, q: number): number => durationAtRank(get, source, count, nearestRankIndex(q, count));
  if (source.joined) {
    const t = get<{ n: number; sum: number; sumSquares: number; min: number; max: number; alerts: number }>(
      `SELECT count(*) AS n, total(r.duration_ms) AS sum, ${squares} AS sumSquares, min(r.duration_ms) AS min, ` +
        `max(r.duration_ms) AS max, total(r.alert_fired) AS alerts FROM ${source.from} ${source.where}`,
      source.params,
    );
    const count = t?.n ?? 0;
    if (!t || count === 0) return undefined;
    return {
      count,
      sum: t.sum,
      sumSquares: t.sumSquares,
      alerts: t.alerts,
      at: (q) => (q === 0 ? t.min : q === 1 ? t.max : rank(count, q)),
    };
  }
  const t = get<{ n: number; sum: number; sumSquares: number }>(
    `SELECT count(*) AS n, total(r.duration_ms) AS sum, ${squares} AS sumSquares FROM ${source.from} ${source.where}`,
    source.params,
  );
  const count = t?.n ?? 0;
  if (!t || count === 0) return undefined;
  // The literal `alert_fired = 1` lets SQLite use a partial index of alerts (migrations 3 and 4).
  const alerts = get<{ n: number }>(
    `SELECT count(*) AS n FROM ${source.from} ${source.where ? `${source.where} AND` : 'WHERE'} r.alert_fired = 1`,
    source.params,
  );
  return { count, sum: t.sum, sumSquares: t.sumSquares, alerts: alerts?.n ?? 0, at: (q) => rank(count, q) };
}
