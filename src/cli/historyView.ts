import type { HistoryReader } from '../state/read/HistoryReader';
import { logUpperBounds } from '../stats/logBins';
import { printableDeep } from '../printable';
import type { HistoryView } from './format/reportText';

/** Which runs a history view covers, and its histogram's number of bins. */
export interface HistoryViewQuery {
  since?: number;
  backend?: string;
  buckets: number;
}

/**
 * What `report` and `demo` print: the overall report, per backend, per phase, per workload, and
 * a histogram of durations on log-scale bins (durations span 1 ms to minutes: equal-width bins
 * would put nearly every run in the first one). Names come from records anyone who can write the
 * file may have forged: escaped for the terminal.
 */
export function buildHistoryView(reader: HistoryReader, db: string, query: HistoryViewQuery): HistoryView {
  const { since, backend, buckets } = query;
  const window = { ...(since === undefined ? {} : { since }), ...(backend === undefined ? {} : { backend }) };
  const byBackend = reader.byBackend(since === undefined ? {} : { since }).filter((b) => backend === undefined || b.backend === backend);
  const overall = reader.report(window);
  return printableDeep({
    db,
    since: since === undefined ? null : new Date(since).toISOString(),
    backend: backend ?? null,
    overall,
    byBackend,
    // Only where backends are set side by side: one backend's figures are not a ratio.
    machineWarning: byBackend.length > 1 ? reader.fingerprintWarning(window) : null,
    phases: reader.phases(window),
    histogram: overall.count === 0 ? [] : reader.histogram(window, logUpperBounds(overall.minMs, overall.maxMs, buckets)),
    workloads: reader.byWorkload(window),
  });
}
