import type { IncomingMessage, ServerResponse } from 'node:http';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './page';
import { logOnce } from '../../log';
import { printableDeep } from '../../printable';
import type { PoolHealthSource } from '../prometheus/PoolCollector';
import type { HistoryConnection } from './HistoryConnection';
import { summaryResponse } from './summaryResponse';
import { SummaryWorker } from './SummaryWorker';

const SECURITY_HEADERS = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export interface DashboardHandlerOptions {
  /** Live pools of this process (createPool) whose health the page shows next to the history. @default none */
  pools?: readonly PoolHealthSource[];
}

/** Each pool's health now, terminal- and page-safe; one that throws is left out (the page must not fail for it). */
function poolHealth(pools: readonly PoolHealthSource[]): unknown[] {
  const rows: unknown[] = [];
  for (const pool of pools) {
    try {
      rows.push(printableDeep(pool.health()));
    } catch (error) {
      logOnce(error, 'sandbox-perf: a pool health() failed for the dashboard');
    }
  }
  return rows;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonText(res, status, Buffer.from(JSON.stringify(body)));
}

function sendJsonText(res: ServerResponse, status: number, json: Buffer): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': json.length,
  });
  res.end(json);
}

/**
 * Serves the dashboard page at `/` and its data at `/api/summary[?since=<epoch ms>]`. Returns
 * false for any other path, so the caller can route the rest. History problems (no file yet,
 * a newer schema, a locked file) come back as `{ error }` with status 200: the page shows them.
 * With a SummaryWorker the queries run on its thread (what `sandbox-perf serve` does); with a
 * HistoryConnection they run on the caller's event loop. `pools`' health is read at each request
 * (`pools` in the JSON, next to the summary), and the page shows them when there are some.
 */
export function createDashboardHandler(
  history: HistoryConnection | SummaryWorker,
  options: DashboardHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const pools = options.pools ?? [];
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/' && url.pathname !== '/index.html' && url.pathname !== '/api/summary') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method Not Allowed\n');
      return true;
    }
    if (url.pathname !== '/api/summary') {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(DASHBOARD_HTML),
      });
      res.end(req.method === 'HEAD' ? undefined : DASHBOARD_HTML);
      return true;
    }
    const sinceParam = url.searchParams.get('since');
    // Decimal digits only: Number() also took `0x10` (16), `1e3`, ` 5` and the empty string (0).
    const sinceMs = sinceParam === null ? undefined : /^-?\d{1,16}$/.test(sinceParam) ? Number(sinceParam) : Number.NaN;
    if (sinceMs !== undefined && !Number.isSafeInteger(sinceMs)) {
      sendJson(res, 400, { error: `Expected \`since\` to be an integer (epoch milliseconds), got ${JSON.stringify(sinceParam)}` });
      return true;
    }
    // With pools, their health joins the summary (parsed back only then: the worker sends JSON text).
    const withPools = (body: unknown): unknown =>
      typeof body === 'object' && body !== null && !('error' in body) ? { ...body, pools: poolHealth(pools) } : body;
    if (history instanceof SummaryWorker) {
      void history.summary(sinceMs).then(({ status, json }) => {
        if (pools.length === 0) sendJsonText(res, status, json);
        else sendJson(res, status, withPools(JSON.parse(json.toString('utf8'))));
      });
    } else {
      const { status, body } = summaryResponse(history, sinceMs);
      sendJson(res, status, pools.length === 0 ? body : withPools(body));
    }
    return true;
  };
}
