import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { UsageError, type Command, type CommandIo } from '../command';
import { DEFAULT_DB_PATH } from '../../state/StateDatabase';
import { SandboxPerfCollector, createMetricsHandler, HistoryFeed } from '../../export/prometheus';
import { createDashboardHandler, HistoryConnection } from '../../dashboard';
import { describeValue } from '../../validation';
import { errorCode, errorMessage, log } from '../../log';
import { ChangeWatch } from '../../dashboard/changeWatch';

export const DEFAULT_SERVE_PORT = 9464;
export const DEFAULT_SERVE_HOST = '127.0.0.1';

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
}

export interface RunningServe {
  /** Base URL, e.g. `http://127.0.0.1:9464/`. */
  url: string;
  port: number;
  host: string;
  dbPath: string;
  close(): Promise<void>;
}

/**
 * Starts the HTTP server behind `sandbox-perf serve`: the dashboard at `/`, its data at
 * `/api/summary` and the Prometheus exposition of the history's runs at `/metrics`.
 */
export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const port = options.port ?? DEFAULT_SERVE_PORT;
  const host = options.host ?? DEFAULT_SERVE_HOST;
  const history = new HistoryConnection(options.dbPath);
  const collector = new SandboxPerfCollector();
  const feed = new HistoryFeed(collector, () => {
    const state = history.get();
    return state.ok ? state.db : undefined;
  });
  const metrics = createMetricsHandler(collector, { beforeScrape: () => feed.poll() });
  const dashboard = createDashboardHandler(history);
  const server = http.createServer((req, res) => {
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
  // After the caller's banner: the first look tells how many change points the history holds.
  const changes = new ChangeWatch(history, options.onChangeLine ?? log, options.changeIntervalMs);
  const firstLook = setImmediate(() => changes.check());
  const address = server.address() as AddressInfo;
  const shownHost = net.isIPv6(address.address) ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}/`,
    port: address.port,
    host: address.address,
    dbPath: options.dbPath,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => {
        clearImmediate(firstLook);
        changes.close();
        history.close();
        collector.dispose();
      })),
  };
}

const USAGE = `Usage: sandbox-perf serve [--port 9464] [--host 127.0.0.1] [--db PATH]

Serves, from the SQLite history of this host:
  /              the dashboard (duration histogram, runs over time, overhead per backend, alerts)
  /api/summary   the dashboard's data as JSON (?since=<epoch ms> to narrow it)
  /metrics       Prometheus exposition of every stored run (sandbox_run_duration_seconds, sandbox_runs_total, ...)

Options:
  --port N      TCP port; 0 picks a free one (default 9464, Prometheus' OpenTelemetry exporter port)
  --host H      address to listen on (default 127.0.0.1, loopback only; anything else exposes
                your run history to whoever can reach the port)
  --db PATH     history file (default: SANDBOX_PERF_DB, else ./.sandbox-perf/state.db)
  -h, --help    this text

Stops on SIGINT or SIGTERM.`;

interface ParsedArgs {
  port: number;
  host: string;
  db: string | undefined;
  help: boolean;
}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { port: DEFAULT_SERVE_PORT, host: DEFAULT_SERVE_HOST, db: undefined, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') {
      parsed.help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (flag !== '--port' && flag !== '--host' && flag !== '--db') {
      throw new UsageError(`Unknown argument ${describeValue(arg)}: sandbox-perf serve takes --port, --host and --db (see --help)`);
    }
    let value: string | undefined;
    if (eq > 0 && arg.startsWith('--')) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined || (value.startsWith('--') && eq < 0)) {
      throw new UsageError(
        `Expected a value after \`${flag}\`, e.g. ${flag === '--port' ? '--port 9464' : flag === '--host' ? '--host 127.0.0.1' : '--db ./state.db'}`,
      );
    }
    if (flag === '--port') {
      const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
      if (!(port >= 0 && port <= 65535)) {
        throw new UsageError(`Expected \`--port\` to be an integer from 0 to 65535, got ${describeValue(value)}`);
      }
      parsed.port = port;
    } else if (flag === '--host') {
      if (value.length === 0 || /\s/.test(value))
        throw new UsageError(`Expected \`--host\` to be a host name or IP address, got ${describeValue(value)}`);
      parsed.host = value;
    } else {
      if (value.length === 0) throw new UsageError(`Expected \`--db\` to be a file path, got ${describeValue(value)}`);
      parsed.db = value;
    }
  }
  return parsed;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const dbPath = path.resolve(io.cwd, args.db ?? io.env.SANDBOX_PERF_DB ?? DEFAULT_DB_PATH);
  let running: RunningServe;
  try {
    running = await startServe({ port: args.port, host: args.host, dbPath, onChangeLine: (line) => io.stdout.write(`${line}\n`) });
  } catch (error) {
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
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  return 0;
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the dashboard and Prometheus /metrics from the SQLite history (loopback by default)',
  usage: USAGE,
  run,
};
