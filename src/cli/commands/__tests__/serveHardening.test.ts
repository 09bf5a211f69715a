import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startServe, type RunningServe } from '../../../export/server';
import { defaultDbPath } from '../../../state/dbPath';
import { seedDatabase } from '../../../../test/support/historyFixture';
import { CLI, cli, describeBuilt } from '../../__tests__/support/cli';

// Real servers, threads and child processes on a shared, busy machine.
jest.setTimeout(60_000);

let dir: string;
let file: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-serve-hard-'));
  file = path.join(dir, 'state.db');
  await seedDatabase(file);
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** GET with a Host header of our choosing, or none (fetch does not let a caller set it). */
function get(server: RunningServe, pathname: string, host: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = host === undefined ? {} : { Host: host };
    const req = http.request({ host: '127.0.0.1', port: server.port, path: pathname, headers, setHost: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Host header check (DNS rebinding)', () => {
  let server: RunningServe;
  beforeAll(async () => {
    server = await startServe({ port: 0, dbPath: file, allowedHosts: ['dash.example'] });
  });
  afterAll(() => server.close());

  test.each(['localhost', '127.0.0.1', '[::1]', 'LOCALHOST', 'dash.example'])(
    'Host: %s, bare and with the port, is served',
    async (name) => {
      expect((await get(server, '/api/summary', name)).status).toBe(200);
      expect((await get(server, '/metrics', `${name}:${server.port}`)).status).toBe(200);
    },
  );

  test.each([
    ['attacker.example', 'a foreign name'],
    ['attacker.example:PORT', 'a foreign name with the right port'],
    ['localhost:1', 'the right name with another port'],
    ['127.0.0.1.attacker.example', 'a name that only starts like a loopback address'],
  ])('Host: %s (%s) gets 421 on every path', async (host) => {
    const value = host.replace('PORT', String(server.port));
    for (const pathname of ['/', '/api/summary', '/metrics']) {
      const r = await get(server, pathname, value);
      expect(r.status).toBe(421);
      expect(r.body).toMatch(
        /^Misdirected Request: Host ".*" is not this server \(allowed: localhost, 127\.0\.0\.1, \[::1\], 127\.0\.0\.1\)\n$/,
      );
    }
  });
});

test('no Host header at all: 400 from the HTTP/1.1 parser, never the history', async () => {
  const server = await startServe({ port: 0, dbPath: file });
  try {
    for (const pathname of ['/', '/api/summary', '/metrics']) expect((await get(server, pathname, undefined)).status).toBe(400);
  } finally {
    await server.close();
  }
});

test('the dashboard query runs off the event loop: /metrics answers while summaries are queued', async () => {
  const server = await startServe({ port: 0, dbPath: file });
  try {
    await fetch(`${server.url}metrics`);
    const summaries = Array.from({ length: 50 }, (_, i) => fetch(`${server.url}api/summary?since=${i}`).then((r) => r.json()));
    const metrics = await fetch(`${server.url}metrics`);
    expect(metrics.status).toBe(200);
    const bodies = (await Promise.all(summaries)) as { summary: { totals: { runs: number } } }[];
    expect(bodies.every((b) => b.summary.totals.runs === 46)).toBe(true);
  } finally {
    await server.close();
  }
});

test('startServe refuses a FIFO as the history at start', async () => {
  await expect(startServe({ port: 0, dbPath: path.join(dir, 'fifo') })).rejects.toThrow(
    /^Expected `--db` to be a sandbox-perf history file or a path where one can be created, got `".*fifo"` \(a FIFO \(named pipe\)\); it was left untouched$/,
  );
});

describeBuilt('serve as a real process', () => {
  test('serve --db <a FIFO> exits 2 at once instead of hanging', async () => {
    const r = await cli(['serve', '--port', '0', '--db', path.join(dir, 'fifo')], dir, { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: Expected `--db` to be .*\(a FIFO \(named pipe\)\); it was left untouched\n$/);
  });

  test('SIGTERM stops serve within 2 s, with dashboard queries in flight; SANDBOX_PERF_DB= (empty) is unset', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
      cwd: dir,
      env: { PATH: process.env.PATH, XDG_STATE_HOME: `${dir}-state`, SANDBOX_PERF_DB: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.on('exit', (code) => resolve({ code, at: performance.now() })),
    );
    const until = Date.now() + 20_000;
    while (!out.includes('\n') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const base = /dashboard (http:\/\/\S+\/)/.exec(out)?.[1];
    expect(base).toBeDefined();
    expect(out).toContain(`history ${defaultDbPath({ XDG_STATE_HOME: `${dir}-state` }, dir)}`);
    const inFlight = Array.from({ length: 20 }, (_, i) => fetch(`${base}api/summary?since=${i}`).catch(() => undefined));
    const sent = performance.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    await Promise.all(inFlight);
    expect(code).toBe(0);
    expect(at - sent).toBeLessThan(2000);
  });
});
