import { assertNumberInRange, expectation, ValidationError } from '../../validation';
import type { HistogramBucket } from './historyTypes';
import type { Source } from './historySources';

const MAX_BUCKETS = 1000;

/** Checks HistoryReader.histogram's `buckets`: a count of 1 to 1000, or 1 to 1000 ascending finite upper bounds. */
export function checkBuckets(buckets: number | readonly number[]): void {
  if (typeof buckets === 'number') {
    assertNumberInRange('buckets', buckets, 1, MAX_BUCKETS, true);
    return;
  }
  // Checked as unknown: JavaScript callers may pass anything, and Array.isArray(bounds) would make it any[].
  const list: unknown = buckets;
  if (!Array.isArray(list) || buckets.length === 0 || buckets.length > MAX_BUCKETS) {
    throw new ValidationError(expectation('buckets', `a bucket count or 1 to ${MAX_BUCKETS} ascending upper bounds`, buckets));
  }
  buckets.forEach((b, i) => {
    if (typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] as number))) {
      throw new RangeError(expectation(`buckets[${i}]`, 'a finite number above the previous bound', b));
    }
  });
}

/**
 * Counts per duration bucket of a source's runs, in one pass (`all` runs the GROUP BY query).
 * `buckets` (checked by checkBuckets) is either a number of equal-width buckets spanning
 * [minMs, maxMs] (the last edge is the maximum itself, so rounding cannot leave it out), or
 * ascending upper bounds in ms (a last bucket up to the maximum is added when runs reach past it).
 */
export function bucketCounts(
  all: <T>(sql: string, params: readonly unknown[]) => T[],
  source: Source,
  range: { minMs: number; maxMs: number },
  buckets: number | readonly number[],
): HistogramBucket[] {
  const { minMs, maxMs } = range;
  let edges: number[];
  let bucketOf: string;
  let bucketParams: number[];
  if (typeof buckets !== 'number') {
    edges = [...buckets];
    if ((edges.at(-1) as number) < maxMs) edges.push(maxMs);
    // The number of upper bounds at or below the duration; the maximum itself stays in the last bucket.
    bucketOf = `min(${balancedSum(edges.map(() => '(r.duration_ms >= ?)'))}, ${edges.length - 1})`;
    bucketParams = edges;
  } else {
    const n = buckets;
    const width = (maxMs - minMs) / n;
    edges = Array.from({ length: n }, (_, i) => (i === n - 1 ? maxMs : minMs + (i + 1) * width));
    bucketOf = width > 0 ? `min(CAST((r.duration_ms - ?) / ? AS INTEGER), ${n - 1})` : '0';
    bucketParams = width > 0 ? [minMs, width] : [];
  }
  const counts = new Array<number>(edges.length).fill(0);
  const rows = all<{ b: number; n: number }>(`SELECT ${bucketOf} AS b, count(*) AS n FROM ${source.from} ${source.where} GROUP BY b`, [
    ...bucketParams,
    ...source.params,
  ]);
  for (const { b, n } of rows) counts[b] = (counts[b] ?? 0) + n;
  return edges.map((upperMs, i) => ({
    lowerMs: i === 0 ? Math.min(minMs, upperMs) : (edges[i - 1] as number),
    upperMs,
    count: counts[i] as number,
  }));
}

/**
 * `a + b + …` as a balanced tree of parentheses: SQLite refuses an expression deeper than 1000, and
 * a flat sum of 998 terms or more is that deep (`report --buckets 1000` failed; hostile trial 2026-12-07).
 */
function balancedSum(terms: readonly string[]): string {
  if (terms.length <= 2) return terms.join(' + ');
  const half = Math.ceil(terms.length / 2);
  return `(${balancedSum(terms.slice(0, half))}) + (${balancedSum(terms.slice(half))})`;
}
