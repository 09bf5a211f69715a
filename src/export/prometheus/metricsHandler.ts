import type { IncomingMessage, ServerResponse } from 'node:http';
import { logOnce } from '../../log';
import { expectation, ValidationError } from '../../validation';

/** A prom-client Registry or a SandboxPerfCollector. */
export interface ExpositionSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsHandlerOptions {
  /** Runs before each scrape (e.g. reading new rows of a history file into the collector). */
  beforeScrape?: () => void | Promise<void>;
}

/**
 * A `(req, res)` handler that answers GET/HEAD with the exposition text. It does not look at the
 * URL: mount it where you like (`if (req.url === '/metrics') return handler(req, res)`).
 * A failing scrape answers 500 and is logged once; it never throws into the server.
 */
export function createMetricsHandler(
  source: ExpositionSource,
  options: MetricsHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  if ((source as unknown) === null || typeof source !== 'object' || typeof source.metrics !== 'function') {
    throw new ValidationError(expectation('source', 'a prom-client Registry or a SandboxPerfCollector', source));
  }
  const { beforeScrape } = options;
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method Not Allowed\n');
      return;
    }
    void (async () => {
      try {
        if (beforeScrape) await beforeScrape();
        const body = await source.metrics();
        res.writeHead(200, {
          'Content-Type': source.contentType,
          'Content-Length': Buffer.byteLength(body),
          'Cache-Control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch (error) {
        logOnce(error, 'sandbox-perf: /metrics scrape failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('scrape failed; see the server log\n');
      }
    })();
  };
}
