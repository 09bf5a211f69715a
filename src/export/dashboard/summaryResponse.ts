import { readDashboardSummary } from '../../state/read/dashboardQueries';
import { errorCode, errorMessage, logOnce } from '../../log';
import { printableDeep } from '../../printable';
import type { HistoryConnection } from './HistoryConnection';

/** What `/api/summary` answers: a status and a JSON body with every string terminal-safe. */
export interface SummaryResponse {
  status: number;
  body: unknown;
}

/**
 * The dashboard's data from the history, or `{ error }` with status 200 for history problems (no
 * file yet, a newer schema, a locked file): the page shows them. Synchronous: it runs on the
 * summary thread (SummaryWorker), or on the caller's thread for a HistoryConnection.
 */
export function summaryResponse(history: HistoryConnection, sinceMs: number | undefined): SummaryResponse {
  const state = history.get();
  if (!state.ok) return { status: 200, body: printableDeep({ error: state.message, code: state.code, path: history.path }) };
  try {
    const summary = readDashboardSummary(state.db, sinceMs === undefined ? {} : { sinceMs });
    // Names come from records anyone who can write the file may have forged: escaped.
    return { status: 200, body: printableDeep({ path: history.path, generatedAt: Date.now(), summary }) };
  } catch (error) {
    logOnce(error, `sandbox-perf: could not read the history at ${history.path} for the dashboard`);
    return {
      status: 200,
      body: printableDeep({
        error: `Cannot read ${history.path} (${errorCode(error)}: ${errorMessage(error)})`,
        code: errorCode(error),
        path: history.path,
      }),
    };
  }
}
