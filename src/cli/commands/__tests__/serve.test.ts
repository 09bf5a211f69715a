import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { UsageError, type CommandIo } from '../../command';
import { serveCommand } from '../serve';
import { startServe } from '../../../export/server';
import { seedDatabase, SEED_T0 } from '../../../../test/support/historyFixture';
import { StateDatabase } from '../../../state/StateDatabase';
import { describeWhen } from '../../../../test/support/e2e';
import { checkMetrics, promtoolMissing } from '../../../../test/support/tools';

// Real servers, writer threads and files on a shared, busy machine.
jest.setTimeout(30_000);

let dir: string;
let file: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-serve-'));
  file = path.join(dir, 'state.db');
  await seedDatabase(file);
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
    [['--port', 'abc'], /^--port expects a decimal integer from 0 to 65535, got "abc"/],
    [['--port=70000'], /^--port expects a decimal integer from 0 to 65535, got "70000"/],
    [['--port'], /^--port needs a value \(N\)$/],
    [['--host', '--port', '1'], /^--host expects a host name or IP address, got "--port"/],
    [['--verbose'], /^unknown option '--verbose' for 'serve' \(see: sandbox-perf serve --help\)/],
    [['--prot', '1'], /^unknown option '--prot' for 'serve' \(did you mean --port\?\)/],
    [['--db='], /^--db expects PATH, got an empty value/],
    [['--allow-host', 'a b'], /^--allow-host expects comma-separated host names, got "a b"/],
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

test('new runs written by another process show up at the next scrape, each counted once', async () => {
  const copy = path.join(dir, 'tail.db');
  await seedDatabase(copy);
  const server = await startServe({ port: 0, dbPath: copy });
  try {
    const total = async (): Promise<number> => {
      const text = await (await fetch(`${server.url}metrics`)).text();
      return [...text.matchAll(/^sandbox_runs_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    expect(await total()).toBe(46);
    const writer = new StateDatabase({ path: copy, handleExit: false });
    writer.insert(
      'sandbox_perf_records',
      { sandboxId: 'late', startTime: Date.now(), durationMs: 42, outcome: 'success', alertFired: false },
      { backend: 'none' },
    );
    await writer.close();
    expect(await total()).toBe(47);
    expect(await total()).toBe(47);
  } finally {
    await server.close();
  }
});

test('a missing history file: the page says so, /metrics still answers', async () => {
  const missing = path.join(dir, 'nothing-here', 'state.db');
  const server = await startServe({ port: 0, dbPath: missing });
  try {
    const body = (await (await fetch(`${server.url}api/summary`)).json()) as { error: string; code: string };
    expect(body.code).toBe('ENOENT');
    expect(body.error).toContain(`No history at ${missing} yet`);
    const metrics = await fetch(`${server.url}metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE sandbox_runs_total counter');
    expect(fs.existsSync(missing)).toBe(false);
  } finally {
    await server.close();
  }
});

describeWhen('serve /metrics under promtool', promtoolMissing, 'apt-get install prometheus', () => {
  test('promtool check metrics passes with no warning', async () => {
    const server = await startServe({ port: 0, dbPath: file });
    try {
      const text = await (await fetch(`${server.url}metrics`)).text();
      expect(checkMetrics(text)).toEqual({ status: 0, output: '' });
    } finally {
      await server.close();
    }
  });
});
