import type { Worker } from 'node:worker_threads';
import { startThread } from '../../startThread';
import { errorCode, errorMessage, logOnce } from '../../log';
import type { ChangeLook } from './changeWatch';
import type { IsolationSeries } from '../../state/read/isolationSeries';

/** What the thread is asked: the dashboard's summary of a window, or the history's change points (serve's watch). */
export type SummaryRequest =
  { id: number; kind: 'summary'; sinceMs: number | undefined } | { id: number; kind: 'changes' } | { id: number; kind: 'isolation' };

export interface SummaryReply {
  id: number;
  status: number;
  /** The body as UTF-8 JSON, transferred. */
  json: ArrayBuffer;
}

/** A summary as the server sends it: status and JSON text. */
export interface SummaryAnswer {
  status: number;
  json: Buffer;
}

function answer(status: number, body: unknown): SummaryAnswer {
  return { status, json: Buffer.from(JSON.stringify(body)) };
}

/** Queries waiting for the thread past which `/api/summary` answers 503 (each costs a pass over the history). */
export const MAX_QUEUED_SUMMARIES = 1000;

interface Pending {
  resolve: (response: SummaryAnswer) => void;
}

/**
 * Runs the dashboard's history queries on a worker thread with its own read-only connection,
 * so a slow query (or two hundred of them) never holds up the server's event loop: `/metrics`,
 * the page and SIGTERM stay responsive. Requests for the same window share one query. The thread
 * starts on the first request, does not keep the process alive, and is restarted if it dies.
 */
export class SummaryWorker {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  /** In-flight queries by window (or `changes`), so identical requests share one. */
  private readonly byWindow = new Map<string, Promise<SummaryAnswer>>();
  private closed = false;

  constructor(readonly path: string) {}

  /** The summary of runs since `sinceMs` (all runs when undefined). Never rejects. */
  summary(sinceMs: number | undefined): Promise<SummaryAnswer> {
    return this.ask(String(sinceMs), (id) => ({ id, kind: 'summary', sinceMs }));
  }

  /** The history's change points, analysed on the thread (`serve`'s watch). Never rejects. */
  async changes(): Promise<ChangeLook> {
    const { status, json } = await this.ask('changes', (id) => ({ id, kind: 'changes' }));
    const body = JSON.parse(json.toString('utf8')) as ChangeLook | { error: string };
    // 503: shutting down or too busy; the next look asks again.
    if (status !== 200) return { ok: false, error: null };
    // Else the thread failed or stopped (failAll's body).
    return 'ok' in body ? body : { ok: false, error: { code: 'ERR_QUERY_THREAD', message: body.error } };
  }

  /** Every workload's and backend's whole cost of isolation over the history (the exporters' gauges); empty on any failure. Never rejects. */
  async isolation(): Promise<IsolationSeries[]> {
    const { status, json } = await this.ask('isolation', (id) => ({ id, kind: 'isolation' }));
    const body = JSON.parse(json.toString('utf8')) as unknown;
    return status === 200 && Array.isArray(body) ? (body as IsolationSeries[]) : [];
  }

  private ask(key: string, request: (id: number) => SummaryRequest): Promise<SummaryAnswer> {
    if (this.closed) return Promise.resolve(answer(503, { error: 'The server is shutting down' }));
    const shared = this.byWindow.get(key);
    if (shared) return shared;
    if (this.pending.size >= MAX_QUEUED_SUMMARIES) {
      return Promise.resolve(answer(503, { error: `Too many dashboard queries waiting (${MAX_QUEUED_SUMMARIES}); retry shortly` }));
    }
    const id = ++this.nextId;
    const reply = new Promise<SummaryAnswer>((resolve) => {
      this.pending.set(id, { resolve });
      try {
        const worker = this.thread();
        worker.ref();
        worker.postMessage(request(id));
      } catch (error) {
        // The thread could not start (or take the message): answered now, and tried again next time.
        this.pending.delete(id);
        resolve(answer(503, { error: `Cannot start the query thread for ${this.path} (${errorCode(error)}: ${errorMessage(error)})` }));
      }
    }).finally(() => this.byWindow.delete(key));
    this.byWindow.set(key, reply);
    return reply;
  }

  /** Stops the thread; requests still waiting are answered 503. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(503, 'The server is shutting down');
    if (worker) await worker.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = startThread(__dirname, 'summaryThread', { file: this.path });
    worker.unref();
    worker.on('message', (reply: SummaryReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      waiting?.resolve({ status: reply.status, json: Buffer.from(reply.json) });
    });
    worker.on('error', (error) => {
      logOnce(error, `sandbox-perf: the dashboard's query thread for ${this.path} failed; restarting it on the next request`);
      if (this.worker === worker) this.worker = undefined;
      this.failAll(200, `Cannot read ${this.path} (${errorCode(error)}: ${errorMessage(error)})`);
    });
    worker.on('exit', () => {
      // After an 'error' its requests were already answered, and new ones may be waiting on its successor.
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(200, `Cannot read ${this.path}: the query thread stopped`);
    });
    this.worker = worker;
    return worker;
  }

  private failAll(status: number, error: string): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const { resolve } of waiting) resolve(answer(status, { error, path: this.path }));
  }
}
