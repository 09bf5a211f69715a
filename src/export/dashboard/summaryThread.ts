import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { HistoryConnection } from './HistoryConnection';
import { summaryResponse } from './summaryResponse';
import { lookForChanges } from './changeWatch';
import { isolationResponse } from './isolationResponse';
import type { SummaryRequest, SummaryReply } from './SummaryWorker';

/*
 * The summary thread: its own read-only connection to the history, one query at a time, so the
 * server's event loop (and /metrics) never waits for a dashboard query.
 */
/** Lower priority than the event loop (0), as for a background job. */
const QUERY_THREAD_NICE = 10;

const history = new HistoryConnection((workerData as { file: string }).file);
// On Linux a nice value is per thread: this one yields the CPU to the server's event loop, so a
// scrape is answered promptly even while queries keep this thread busy.
try {
  os.setPriority(QUERY_THREAD_NICE);
} catch {
  // Not allowed here (or not Linux): the queries run at the server's priority.
}
// SummaryWorker ends the thread with terminate(): no close message.
parentPort?.on('message', (request: SummaryRequest) => {
  const { status, body } =
    request.kind === 'changes'
      ? { status: 200, body: lookForChanges(history) }
      : request.kind === 'isolation'
        ? { status: 200, body: isolationResponse(history) }
        : summaryResponse(history, request.sinceMs);
  // Serialised here, and the bytes moved rather than copied: the server's thread only writes them.
  const json = Buffer.from(JSON.stringify(body));
  const bytes = json.buffer.slice(json.byteOffset, json.byteOffset + json.byteLength);
  const reply: SummaryReply = { id: request.id, status, json: bytes };
  parentPort?.postMessage(reply, [bytes]);
});
