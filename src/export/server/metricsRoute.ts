import type { IncomingMessage, ServerResponse } from 'node:http';
import { SandboxPerfCollector, SandboxIsolationCollector, createMetricsHandler, HistoryFeed } from '../prometheus';
import type { IsolationSource } from '../isolationSource';
import { loadPromClient } from '../prometheus/promClient';
import type { HistoryConnection } from '../dashboard';

/** serve's `/metrics`: the history's runs in the Prometheus format, or 501 without prom-client. */
export interface MetricsRoute {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** null when prom-client (an optional peer) is not installed. */
  readonly collector: SandboxPerfCollector | null;
  dispose(): void;
}

/** What `/metrics` answers when prom-client is missing: which package enables it, and that the rest works. */
export const METRICS_NEED_PROM_CLIENT =
  'Not Implemented: /metrics needs the peer dependency prom-client: run `npm install prom-client` and restart serve ' +
  '(the dashboard and /api/summary work without it)\n';

/**
 * The dashboard and its JSON need only the history: a project without prom-client still gets
 * them, and `/metrics` says what to install rather than the whole server refusing to start.
 */
export function metricsRoute(history: HistoryConnection, isolation?: IsolationSource): MetricsRoute {
  if (loadPromClient() === null) {
    return {
      collector: null,
      handle: (_req, res) => {
        res.writeHead(501, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(METRICS_NEED_PROM_CLIENT);
      },
      dispose: () => undefined,
    };
  }
  const collector = new SandboxPerfCollector();
  const feed = new HistoryFeed(collector, () => {
    const state = history.get();
    return state.ok ? state.db : undefined;
  });
  const handle = createMetricsHandler(collector, { beforeScrape: () => feed.poll() });
  // The whole cost of isolation per workload, from the history (serve: on its summary thread), beside the runs' metrics.
  const costs = isolation === undefined ? undefined : new SandboxIsolationCollector({ registry: collector.registry, source: isolation });
  return {
    collector,
    handle,
    dispose: () => {
      costs?.dispose();
      collector.dispose();
    },
  };
}
