import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { UsageError, type CommandIo } from '../../command';
import { serveCommand } from '../serve';
import { seedDatabase, SEED_T0 } from '../../../../test/support/historyFixture';
import { defaultDbPath } from '../../../state/dbPath';
import { CLI, cli, describeBuilt } from '../../__tests__/support/cli';

// Real servers, writer threads, files and child processes on a shared, busy machine.
jest.setTimeout(60_000);

let dir: string;
let file: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-serve-'));
  file = path.join(dir, 'state.db');
  await seedDatabase(file);
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function io(env: NodeJS.ProcessEnv = {}): CommandIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, env, cwd: dir, out: () => out, err: () => err };
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('arguments', () => {
  test.each([
    [['--port', 'abc'], /^Expected `--port` to be a decimal integer from 0 to 65535, got `"abc"`/],
    [['--port=70000'], /^Expected `--port` to be a decimal integer from 0 to 65535, got `"70000"`/],
    [['--port'], /^--port needs a value \(N\)$/],
    [
      ['--host', '--port', '1'],
      /^Expected `--host` to be H, got the option "--port" \(a value that starts with -- is written --host=VALUE\)$/,
    ],
    [['--verbose'], /^unknown option '--verbose' for 'serve' \(see: sandbox-perf serve --help\)/],
    [['--prot', '1'], /^unknown option '--prot' for 'serve' \(did you mean --port\?\)/],
    [['--db='], /^Expected `--db` to be PATH, got an empty value/],
    [['--allow-host', 'a b'], /^Expected `--allow-host` to be comma-separated host names, got `"a b"`/],
    [['stray'], /^'serve' takes no command or arguments, got "stray"/],
  ])('%j is a usage error', async (argv, message) => {
    const p = serveCommand.run(argv, io());
    await expect(p).rejects.toThrow(UsageError);
    await expect(p).rejects.toThrow(message);
  });

  test('--help prints the usage and exits 0', async () => {
    const stream = io();
    await expect(serveCommand.run(['--help'], stream)).resolves.toBe(0);
    expect(stream.out()).toContain('Usage: sandbox-perf serve [--port 9464] [--host 127.0.0.1] [--db PATH]');
    expect(serveCommand.name).toBe('serve');
  });

  test('a port in use exits 1 naming the port and the fix', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const stream = io();
      await expect(serveCommand.run(['--port', String(port), '--db', file], stream)).resolves.toBe(1);
      expect(stream.err()).toMatch(
        new RegExp(`^Error: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE: .*\\); choose another --port\\n$`),
      );
    } finally {
      blocker.close();
    }
  });
});

test('serve runs until SIGTERM: dashboard, summary and metrics from the history (SANDBOX_PERF_DB, relative to cwd)', async () => {
  const stream = io({ SANDBOX_PERF_DB: 'state.db' });
  const done = serveCommand.run(['--port', '0'], stream);
  await waitFor(() => stream.out().includes('\n'));
  const base = /dashboard (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stream.out())?.[1] as string;
  expect(stream.out()).toContain(`history ${file}`);
  expect(stream.err()).toBe('');
  try {
    const page = await fetch(base);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'sha256-/);
    expect(await page.text()).toContain('<title>sandbox-perf dashboard</title>');
    const summary = (await (await fetch(`${base}api/summary`)).json()) as { path: string; summary: { totals: { runs: number } } };
    expect(summary.path).toBe(file);
    expect(summary.summary.totals.runs).toBe(46);
    const since = (await (await fetch(`${base}api/summary?since=${SEED_T0 + 40 * 60_000}`)).json()) as {
      summary: { totals: { runs: number } };
    };
    expect(since.summary.totals.runs).toBe(6);
    const bad = await fetch(`${base}api/summary?since=yesterday`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'Expected `since` to be an integer (epoch milliseconds), got "yesterday"' });
    const metrics = await (await fetch(`${base}metrics`)).text();
    expect(sample(metrics, 'sandbox_runs_total{outcome="success",backend="none"}')).toBe(20);
    expect(sample(metrics, 'sandbox_runs_total{outcome="timeout",backend="unknown"}')).toBe(1);
    expect(sample(metrics, 'sandbox_overhead_alerts_total{backend="bubblewrap"}')).toBe(1);
    expect(sample(metrics, 'sandbox_run_duration_seconds_count{backend="docker"}')).toBe(20);
    expect((await fetch(`${base}nope`)).status).toBe(404);
    expect((await fetch(base, { method: 'POST' })).status).toBe(405);
  } finally {
    process.emit('SIGTERM');
  }
  await expect(done).resolves.toBe(0);
});

/** The built CLI's serve as a child process, once its banner line is out. */
async function serveProcess(args: readonly string[], env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []) {
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', '--port', '0', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, at: performance.now() })),
  );
  const until = Date.now() + 20_000;
  while (!out.includes('\n') && child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const base = /dashboard (http:\/\/\S+\/)/.exec(out)?.[1];
  if (base === undefined) child.kill('SIGKILL');
  return { child, exited, out: () => out, err: () => err, base: base as string };
}

describeBuilt('serve as a real process', () => {
  test('serve --db <a FIFO> exits 2 at once instead of hanging', async () => {
    const r = await cli(['serve', '--port', '0', '--db', path.join(dir, 'fifo')], dir, { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: Expected `--db` to be .*\(a FIFO \(named pipe\)\); it was left untouched\n$/);
  });

  test('SIGTERM stops serve within 2 s, with dashboard queries in flight; SANDBOX_PERF_DB= (empty) is unset', async () => {
    const serve = await serveProcess([], { XDG_STATE_HOME: `${dir}-state`, SANDBOX_PERF_DB: '' });
    expect(serve.base).toBeDefined();
    expect(serve.out()).toContain(`history ${defaultDbPath({ XDG_STATE_HOME: `${dir}-state` }, dir)}`);
    const inFlight = Array.from({ length: 20 }, (_, i) => fetch(`${serve.base}api/summary?since=${i}`).catch(() => undefined));
    const sent = performance.now();
    serve.child.kill('SIGTERM');
    const { code, at } = await serve.exited;
    await Promise.all(inFlight);
    expect(code).toBe(0);
    expect(at - sent).toBeLessThan(2000);
  });

  // Issue 22: serve refused to start without prom-client ("cannot listen on …"), dashboard included.
  test('without prom-client (an optional peer): dashboard and /api/summary served, /metrics answers 501 naming the package', async () => {
    const serve = await serveProcess(['--db', file], {}, ['--require', path.join(__dirname, 'hidePromClient.js')]);
    try {
      expect(serve.err()).toBe('');
      expect(serve.out()).toMatch(/· metrics off \(needs prom-client: npm install prom-client\) · history /);
      const page = await fetch(serve.base);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>sandbox-perf dashboard</title>');
      const summary = (await (await fetch(`${serve.base}api/summary`)).json()) as { summary: { totals: { runs: number } } };
      expect(summary.summary.totals.runs).toBe(46);
      const metrics = await fetch(`${serve.base}metrics`);
      expect(metrics.status).toBe(501);
      expect(await metrics.text()).toMatch(
        /^Not Implemented: \/metrics needs the peer dependency prom-client: run `npm install prom-client`/,
      );
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect((await serve.exited).code).toBe(0);
  });
});
