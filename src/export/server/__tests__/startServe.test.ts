import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startServe, type RunningServe } from '..';
import { seedDatabase } from '../../../../test/support/historyFixture';
import { StateDatabase } from '../../../state/StateDatabase';
import { describeWhen } from '../../../../test/support/e2e';
import { checkMetrics, promtoolMissing } from '../../../../test/support/tools';

// Real servers, query threads and files on a shared, busy machine.
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

test('since is epoch milliseconds in decimal digits: 0x10, 1e3, a space or nothing get 400 (0x10 was read as 16)', async () => {
  const server = await startServe({ port: 0, dbPath: file });
  try {
    expect((await get(server, '/api/summary?since=1700000000000', 'localhost')).status).toBe(200);
    for (const since of ['0x10', '1e3', '%205', '', '1.5']) {
      const r = await get(server, `/api/summary?since=${since}`, 'localhost');
      expect([since, r.status]).toEqual([since, 400]);
      expect(r.body).toContain('Expected `since` to be an integer (epoch milliseconds)');
    }
  } finally {
    await server.close();
  }
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
    // prom-client is installed here; without it metricsUrl is null (the built CLI's test in cli/commands/__tests__/serve.test.ts).
    expect(server.metricsUrl).toBe(`${server.url}metrics`);
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
