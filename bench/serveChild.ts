import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServe } from '../src/export/server';
import { createDashboardHandler, HistoryConnection } from '../src/export/dashboard';
import { createMetricsHandler, HistoryFeed, SandboxPerfCollector } from '../src/export/prometheus';

/*
 * The server of bench/serve.ts, in its own process so that the load generator does not share its
 * event loop. `worker`: what `sandbox-perf serve` runs (dashboard queries on their thread).
 * `loop`: the same handlers with the queries on the event loop, as before, for the ratio.
 * Prints the base URL on stdout.
 */
async function main(): Promise<void> {
  const [mode, file] = process.argv.slice(2) as ['worker' | 'loop', string];
  if (mode === 'worker') {
    const running = await startServe({ port: 0, dbPath: file, changeIntervalMs: 0 });
    process.stdout.write(`${running.url}\n`);
    return;
  }
  const history = new HistoryConnection(file);
  const collector = new SandboxPerfCollector();
  const feed = new HistoryFeed(collector, () => {
    const state = history.get();
    return state.ok ? state.db : undefined;
  });
  const metrics = createMetricsHandler(collector, { beforeScrape: () => feed.poll() });
  const dashboard = createDashboardHandler(history);
  const server = http.createServer((req, res) => {
    if ((req.url ?? '/').startsWith('/metrics')) metrics(req, res);
    else if (!dashboard(req, res)) res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}/\n`));
}

void main();
