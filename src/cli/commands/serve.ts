import { defineCommand, UsageError, type Command, type CommandIo } from '../command';
import { assertUsableHistory, historyPathFor, DB_HELP } from '../database';
import { assertHistoryOutOfReach } from '../historyOutOfReach';
import { CANARY_CANDIDATES } from '../../canary/startCanary';
import { flagExpectation, ValidationError } from '../../validation';
import { parseArgs } from '../args';
import { errorCode, errorMessage } from '../../log';
import { startServe, DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT, type RunningServe, type ServeCanaryOptions } from '../../export/server';
import { canaryBanner, canaryOptions, CANARY_FLAGS, CANARY_USAGE } from './serveCanary';
import { warnHostCodeInWorkdir } from '../workdirWarning';

const USAGE = `Usage: sandbox-perf serve [--port 9464] [--host 127.0.0.1] [--db PATH] [--allow-host NAMES]
       sandbox-perf serve [options] --canary [--every 10m] [--sandbox LIST] [--runs 5] -- COMMAND [ARGS...]

Serves, from the SQLite history of this host:
  /              the dashboard (duration histogram, runs over time with change points, overhead per backend, alerts)
  /api/summary   the dashboard's data as JSON (?since=<epoch ms> to narrow it)
  /metrics       Prometheus exposition of every stored run (sandbox_run_duration_seconds, sandbox_runs_total, ...);
                 needs the optional peer prom-client (npm install prom-client), else it answers 501

Options:
  --port N      TCP port; 0 picks a free one (default 9464, Prometheus' OpenTelemetry exporter port)
  --host H      address to listen on (default 127.0.0.1, loopback only; anything else exposes
                your run history to whoever can reach the port)
  --db PATH     ${DB_HELP}
  --allow-host NAMES  comma-separated host names the Host header may carry besides localhost,
                127.0.0.1, [::1] and --host (requests naming any other host get 421: DNS rebinding)
  -h, --help    this text

${CANARY_USAGE}

Prints a line when a new change point appears in the history (looked for every minute; see
sandbox-perf changes). Stops on SIGINT or SIGTERM.`;

const FLAGS = {
  ...CANARY_FLAGS,
  port: { type: 'integer', min: 0, max: 65535, value: 'N' },
  host: { type: 'string', value: 'H' },
  db: { type: 'string', value: 'PATH' },
  'allow-host': { type: 'list', value: 'NAMES' },
} as const;

interface ServeArgs {
  port: number;
  host: string;
  db: string | undefined;
  allowHosts: string[];
  /** From --canary, its flags and the command after `--`; null without --canary. */
  canary: ServeCanaryOptions | null;
}

/**
 * The CLI's one argument parser (serve's flags and the canary's), then what only serve checks:
 * the canary's options, a host name, and host names to allow.
 */
export function serveArgs(argv: readonly string[], cwd: string): ServeArgs {
  const parsed = parseArgs(argv, FLAGS, 'serve');
  const canary = canaryOptions(parsed, cwd);
  const host = (parsed.flags.host as string | undefined) ?? DEFAULT_SERVE_HOST;
  // A flag taken as the value (`--host --port 1`) or a name with spaces is no host.
  if (host.startsWith('-') || /\s/.test(host)) throw new UsageError(flagExpectation('--host', 'a host name or IP address', host));
  if (parsed.positionals.length > 0) {
    throw new UsageError(`'serve' takes no command or arguments, got ${JSON.stringify(parsed.positionals[0])}`);
  }
  const allowHosts = (parsed.flags['allow-host'] as string[] | undefined) ?? [];
  const bad = allowHosts.find((n) => !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)$/.test(n));
  if (bad !== undefined) throw new UsageError(flagExpectation('--allow-host', 'comma-separated host names', bad));
  return {
    port: (parsed.flags.port as number | undefined) ?? DEFAULT_SERVE_PORT,
    host,
    db: parsed.flags.db as string | undefined,
    allowHosts,
    canary,
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = serveArgs(argv, io.cwd);
  const { canary } = args;
  const where = historyPathFor(args.db, io);
  const dbPath = where.file;
  assertUsableHistory(where);
  // The canary's runs bind its working directory: without --sandbox, any of its candidates may run.
  if (canary !== null) assertHistoryOutOfReach(where, { cwd: io.cwd, ...canary.sandbox }, canary.backends ?? CANARY_CANDIDATES);
  let running: RunningServe;
  try {
    running = await startServe({
      port: args.port,
      host: args.host,
      dbPath,
      allowedHosts: args.allowHosts,
      ...(canary === null ? {} : { canary, onCanaryLine: (line: string) => io.stdout.write(`${line}\n`) }),
      onChangeLine: (line) => io.stdout.write(`${line}\n`),
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
  const metrics = running.metricsUrl ?? 'off (needs prom-client: npm install prom-client)';
  io.stdout.write(`sandbox-perf serve: dashboard ${running.url} · metrics ${metrics} · history ${dbPath}\n`);
  if (running.canary) {
    io.stdout.write(`${canaryBanner(running.canary)}\n`);
    warnHostCodeInWorkdir(io.stderr, io.cwd, canary?.sandbox?.workdir ?? 'rw', running.canary.backends);
  }
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

export const serveCommand: Command = defineCommand({
  name: 'serve',
  summary: 'Serve the dashboard and Prometheus /metrics from the SQLite history (loopback by default)',
  usage: USAGE,
  run,
});
