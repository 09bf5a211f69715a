import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createDashboardHandler, HistoryConnection, SummaryWorker } from '../dashboard';
import { ChangeWatch } from '../dashboard/changeWatch';
import { historyPathMessage, historyPathProblem } from '../../state/historyPath';
import { ValidationError } from '../../validation';
import { log } from '../../log';
import type { Canary } from '../../canary/startCanary';
import { hostAllowList } from './allowedHost';
import { startServeCanary, type ServeCanaryOptions } from './serveCanary';
import { metricsRoute } from './metricsRoute';

export const DEFAULT_SERVE_PORT = 9464;
export const DEFAULT_SERVE_HOST = '127.0.0.1';
/** How long close() waits for connections and the query thread (SIGTERM stops serve within 2 s). */
const CLOSE_WAIT_MS = 1000;

export interface ServeOptions {
  /** 0 picks a free port. @default 9464 */
  port?: number;
  /** @default '127.0.0.1' (loopback only) */
  host?: string;
  /** The SQLite history to read (absolute or relative to the working directory). */
  dbPath: string;
  /** How often to look for new change points; 0: never. @default 60 000 ms */
  changeIntervalMs?: number;
  /** Where a new change point is told. @default the library's log (stderr) */
  onChangeLine?: (line: string) => void;
  /**
   * Host names accepted in the `Host` header besides localhost, 127.0.0.1, [::1] and `host`
   * (against DNS rebinding; other requests get 421). @default []
   */
  allowedHosts?: readonly string[];
  /**
   * Runs a canary (startCanary) recording into `dbPath`, exported at /metrics
   * (sandbox_canary_ratio, …) and shown on the dashboard; stopped by close(). @default none
   */
  canary?: ServeCanaryOptions;
  /** Where each canary round's line is told. @default the library's log (stderr) */
  onCanaryLine?: (line: string) => void;
}

export interface RunningServe {
  /** Base URL, e.g. `http://127.0.0.1:9464/`. */
  url: string;
  port: number;
  host: string;
  dbPath: string;
  /** `${url}metrics`; null when prom-client (an optional peer) is not installed: /metrics then answers 501. */
  metricsUrl: string | null;
  /** The canary `options.canary` started; null without one. */
  canary: Canary | null;
  close(): Promise<void>;
}

/**
 * Starts the HTTP server behind `sandbox-perf serve`: the dashboard at `/`, its data at
 * `/api/summary` and the Prometheus exposition of the history's runs at `/metrics` (501 naming
 * the package when prom-client, an optional peer, is not installed).
 */
export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const port = options.port ?? DEFAULT_SERVE_PORT;
  const host = options.host ?? DEFAULT_SERVE_HOST;
  // A FIFO would block the first read and a device or foreign file is not ours: refused up front.
  const problem = historyPathProblem(options.dbPath);
  if (problem !== null) throw new ValidationError(historyPathMessage('--db', options.dbPath, problem));
  const history = new HistoryConnection(options.dbPath);
  const summaries = new SummaryWorker(options.dbPath);
  const metrics = metricsRoute(history, () => summaries.isolation());
  const dashboard = createDashboardHandler(summaries);
  let boundPort = port;
  const allowedHost = hostAllowList(host, () => boundPort, options.allowedHosts ?? []);
  const server = http.createServer((req, res) => {
    if (!allowedHost(req.headers.host)) {
      res
        .writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
        .end(
          `Misdirected Request: Host ${JSON.stringify(req.headers.host ?? '')} is not this server (allowed: localhost, 127.0.0.1, [::1], ${host})\n`,
        );
      return;
    }
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname === '/metrics') {
      metrics.handle(req, res);
      return;
    }
    if (dashboard(req, res)) return;
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found: try / or /metrics\n');
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let served: Awaited<ReturnType<typeof startServeCanary>>;
  try {
    served = await startServeCanary(options, metrics.collector?.registry ?? null);
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await summaries.close();
    history.close();
    metrics.dispose();
    throw error;
  }
  const canary = served?.canary ?? null;
  // After the caller's banner: the first look tells how many change points the history holds.
  // The change points are analysed on the summary thread: the event loop keeps answering /metrics.
  const changes = new ChangeWatch(() => summaries.changes(), options.dbPath, options.onChangeLine ?? log, options.changeIntervalMs);
  const firstLook = setImmediate(() => void changes.check());
  const address = server.address() as AddressInfo;
  boundPort = address.port;
  const shownHost = net.isIPv6(address.address) ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const url = `http://${shownHost}:${address.port}/`;
  return {
    url,
    metricsUrl: metrics.collector === null ? null : `${url}metrics`,
    port: address.port,
    host: address.address,
    dbPath: options.dbPath,
    canary,
    close: () =>
      (closing ??= Promise.race([
        Promise.all([
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
          summaries.close(),
        ]),
        // Shutdown never waits longer than this, whatever a connection or the thread is doing.
        new Promise<void>((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref()),
      ]).then(async () => {
        // The canary's run in flight ends (SIGTERM's cleanup kills it) and its rows are written before the history closes.
        await canary?.stop();
        served?.metrics?.dispose();
        clearImmediate(firstLook);
        changes.close();
        history.close();
        metrics.dispose();
      })),
  };
}
