import type { IsolationSeries } from '../state/read/isolationSeries';
import { expectation, ValidationError } from '../validation';

export type { IsolationSeries };

/**
 * Where the exporters' isolation gauges read the whole cost per workload and backend: serve's
 * summary thread (`SummaryWorker.isolation`, computed from the history off the event loop), or
 * any function that returns such series.
 */
export type IsolationSource = () => Promise<readonly IsolationSeries[]> | readonly IsolationSeries[];

/** Results this young are reused: the gauges of one scrape (or one collection) share one read. */
const REUSE_MS = 1000;

/** One read of `source` per collection, however many gauges ask; a failing source gives no series. */
export function sharedIsolationReads(source: IsolationSource, what: string): () => Promise<readonly IsolationSeries[]> {
  if (typeof source !== 'function') throw new ValidationError(expectation(what, 'a function returning isolation series', source));
  let last: { at: number; series: Promise<readonly IsolationSeries[]> } | undefined;
  return () => {
    const now = performance.now();
    if (last && now - last.at < REUSE_MS) return last.series;
    const series = Promise.resolve()
      .then(source)
      .catch(() => []);
    last = { at: now, series };
    return series;
  };
}
