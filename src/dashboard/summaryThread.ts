import { parentPort, workerData } from 'node:worker_threads';
import { HistoryConnection } from './HistoryConnection';
import { summaryResponse } from './summaryResponse';
import type { SummaryRequest, SummaryReply } from './SummaryWorker';

/*
 * The summary thread: its own read-only connection to the history, one query at a time, so the
 * server's event loop (and /metrics) never waits for a dashboard query.
 */
const history = new HistoryConnection((workerData as { file: string }).file);
parentPort?.on('message', (request: SummaryRequest | { type: 'close' }) => {
  if ('type' in request) {
    history.close();
    parentPort?.close();
    return;
  }
  const reply: SummaryReply = { id: request.id, ...summaryResponse(history, request.sinceMs) };
  parentPort?.postMessage(reply);
});
