import { readIsolationSeries, type IsolationSeries } from '../../state/read/isolationSeries';
import { logOnce } from '../../log';
import { printableDeep } from '../../printable';
import type { HistoryConnection } from './HistoryConnection';

/**
 * The whole cost of isolation per workload and backend over the history, for the exporters'
 * gauges (run on the summary thread: a pass over the history never holds up `/metrics`). No
 * series while the history is missing or unreadable: the dashboard says why, a gauge cannot.
 */
export function isolationResponse(history: HistoryConnection): IsolationSeries[] {
  const state = history.get();
  if (!state.ok) return [];
  try {
    // Workload names and labels come from records anyone who can write the file may have forged: escaped.
    return printableDeep(readIsolationSeries(state.db, state.version));
  } catch (error) {
    logOnce(error, `sandbox-perf: could not read the isolation costs from ${history.path}`);
    return [];
  }
}
