import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { UsageError, type Command, type CommandIo } from '../command';
import { SandboxPerfCollector, createMetricsHandler, HistoryFeed } from '../../export/prometheus';
import { createDashboardHandler, HistoryConnection, SummaryWorker } from '../../dashboard';
import { hostAllowList } from '../../export/allowedHost';
import { historyPathFor } from '../database';
import { historyPathMessage, historyPathProblem } from '../historyPath';
import { ValidationError } from '../../validation';
import { parseArgs } from '../args';
import { errorCode, errorMessage, log } from '../../log';
import { ChangeWatch } from '../../dashboard/changeWatch';
import type { Canary, StartCanaryOptions } from '../../canary/startCanary';
import { canaryBanner, splitCanaryArgs, startServeCanary, CANARY_USAGE } from './serveCanary';

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
  canary?: Omit<StartCanaryOptions, 'db' | 'monitor' | 'onLine'>;
  /** Where each canary round's line is told. @default the library's log (stderr) */
  onCanaryLine?: (line: string) => void;
}

export interface RunningServe {
  /** Base URL, e.g. `http://127.0.0.1:9464/`. */
  url: string;
  port: number;
  host: string;
  dbPath: string;
  /** The canary `options.canary` started; null without one. */
  canary: Canary | null;
  close(): Promise<void>;
}

/**
 * Starts the HTTP server behind `sandbox-perf serve`: the dashboard at `/`, its data at
 * `/api/summary` and the Prometheus exposition of the history's runs at `/metrics`.
 */
export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const port = options.port ?? DEFAULT_SERVE_PORT;
  const host = options.host ?? DEFAULT_SERVE_HOST;
  // A FIFO would block the first read and a device or foreign file is not ours: refused up front.
  const problem = historyPathProblem(options.dbPath);
  if (problem !== null) throw new ValidationError(historyPathMessage('--db', options.dbPath, problem));
  const history = new HistoryConnection(options.dbPath);
  const summaries = new SummaryWorker(options.dbPath);
  const collector = new SandboxPerfCollector();
  const feed = new HistoryFeed(collector, () => {
    const state = history.get();
    return state.ok ? state.db : undefined;
  });
  const metrics = createMetricsHandler(collector, { beforeScrape: () => feed.poll() });
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
      metrics(req, res);
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
    served = await startServeCanary(options, collector.registry);
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await summaries.close();
    history.close();
    collector.dispose();
    throw error;
  }
  const canary = served?.canary ?? null;
  // After the caller's banner: the first look tells how many change points the history holds.
  const changes = new ChangeWatch(history, options.onChangeLine ?? log, options.changeIntervalMs);
  const firstLook = setImmediate(() => changes.check());
  const address = server.address() as AddressInfo;
  boundPort = address.port;
  const shownHost = net.isIPv6(address.address) ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}/`,
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
        served?.metrics.dispose();
        clearImmediate(firstLook);
        changes.close();
        history.close();
        collector.dispose();
      })),
  };
}

const USAGE = `Usage: sandbox-perf serve [--port 9464] [--host 127.0.0.1] [--db PATH] [--allow-host NAMES]
       sandbox-perf serve [options] --canary [--every 10m] [--sandbox LIST] [--runs 5] -- COMMAND [ARGS...]

Serves, from the SQLite history of this host:
  /              the dashboard (duration histogram, runs over time with change points, overhead per backend, alerts)
  /api/summary   the dashboard's data as JSON (?since=<epoch ms> to narrow it)
  /metrics       Prometheus exposition of every stored run (sandbox_run_duration_seconds, sandbox_runs_total, ...)

Options:
  --port N      TCP port; 0 picks a free one (default 9464, Prometheus' OpenTelemetry exporter port)
  --host H      address to listen on (default 127.0.0.1, loopback only; anything else exposes
                your run history to whoever can reach the port)
  --db PATH     history file (default: SANDBOX_PERF_DB, else ~/.local/state/sandbox-perf/<dir>-<hash>/state.db)
  --allow-host NAMES  comma-separated host names the Host header may carry besides localhost,
                127.0.0.1, [::1] and --host (requests naming any other host get 421: DNS rebinding)
  -h, --help    this text

${CANARY_USAGE}

Prints a line when a new change point appears in the history (looked for every minute; see
sandbox-perf changes). Stops on SIGINT or SIGTERM.`;

const FLAGS = {
  port: { type: 'integer', min: 0, max: 65535, value: 'N' },
  host: { type: 'string', value: 'H' },
  db: { type: 'string', value: 'PATH' },
  'allow-host': { type: 'list', value: 'NAMES' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface ServeArgs {
  port: number;
  host: string;
  db: string | undefined;
  allowHosts: string[];
  help: boolean;
}

/** The CLI's one argument parser, then what only serve checks: a host name, and host names to allow. */
function serveArgs(argv: readonly string[]): ServeArgs {
  const parsed = parseArgs(argv, FLAGS, 'serve');
  const host = (parsed.flags.host as string | undefined) ?? DEFAULT_SERVE_HOST;
  // A flag taken as the value (`--host --port 1`) or a name with spaces is no host.
  if (host.startsWith('-') || /\s/.test(host))
    throw new UsageError(`--host expects a host name or IP address, got ${JSON.stringify(host)}`);
  if (parsed.positionals.length > 0 || parsed.command !== null) {
    throw new UsageError(`'serve' takes no command or arguments, got ${JSON.stringify(parsed.positionals[0] ?? '--')}`);
  }
  const allowHosts = (parsed.flags['allow-host'] as string[] | undefined) ?? [];
  const bad = allowHosts.find((n) => !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)$/.test(n));
  if (bad !== undefined) throw new UsageError(`--allow-host expects comma-separated host names, got ${JSON.stringify(bad)}`);
  return {
    port: (parsed.flags.port as number | undefined) ?? DEFAULT_SERVE_PORT,
    host,
    db: parsed.flags.db as string | undefined,
    allowHosts,
    help: parsed.flags.help === true,
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { serveArgv, canary } = splitCanaryArgs(argv, io.cwd);
  const args = serveArgs(serveArgv);
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const where = historyPathFor(args.db, io);
  const dbPath = where.file;
  const problem = historyPathProblem(dbPath);
  if (problem !== null) throw new UsageError(historyPathMessage(where.source, dbPath, problem));
  let running: RunningServe;
  try {
    running = await startServe({
      port: args.port,
      host: args.host,
      dbPath,
      allowedHosts: args.allowHosts,
      ...(canary === null ? {} : { canary, onCanaryLine: (line: string) => io.stdout.write(`${line}\n`) }),
      onChangeLine: (line) =>
        io.stdout.write(`${line}
`),
    });
  } catch (error) {
    if (canary !== null && error instanceof ValidationError) throw new UsageError(`--canary: ${errorMessage(error)}`);
    const code = errorCode(error);
    const hint =
      code === 'EADDRINUSE' ? '; choose another --port' : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' ? '; check --host' : '';
    io.stderr.write(`Error: cannot listen on ${args.host}:${args.port} (${code}: ${errorMessage(error)})${hint}\n`);
    return 1;
  }
  if (!isLoopback(args.host)) {
    io.stderr.write(`warning: listening on ${args.host}: the run history and metrics are readable by anyone who can reach this port\n`);
  }
  io.stdout.write(`sandbox-perf serve: dashboard ${running.url} · metrics ${running.url}metrics · history ${dbPath}\n`);
  if (running.canary) io.stdout.write(`${canaryBanner(running.canary)}\n`);
  // Handled until closed: a canary run in flight is killed by the runners' own signal cleanup,
  // which re-raises the signal (killing this process before its rows are written) when nobody
  // else handles it. A second signal exits at once.
  let signals = 0;
  let stop = (): void => undefined;
  const onSignal = (): void => {
    if (++signals > 1) process.exit(1);
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await new Promise<void>((resolve) => (stop = resolve));
    await running.close();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the dashboard and Prometheus /metrics from the SQLite history (loopback by default)',
  usage: USAGE,
  run,
};
