import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { EngineClient, EngineError } from '../engineClient';
import { tempDir } from '../../../../test/support/tempDir';

/*
 * EngineClient against a fake engine on a Unix socket: the requests a docker run makes, each timed
 * where the engine's share begins (its last byte out) and ends (the answer's last byte in).
 */

let dir: string;
let server: http.Server;
let client: EngineClient;
let releaseWait: () => void = () => undefined;

beforeAll(async () => {
  dir = tempDir('engine-client');
  const socketPath = path.join(dir, 'engine.sock');
  server = http.createServer((req, res) => {
    if (req.url === '/containers/create' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const spec = JSON.parse(body) as { Image: string };
        res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Id: `id-of-${spec.Image}` }));
      });
    } else if (req.url?.startsWith('/containers/c/wait')) {
      // As dockerd: the headers at once (the wait is registered), the body when the container is gone.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      releaseWait = () => res.end(JSON.stringify({ StatusCode: 3 }));
    } else if (req.url === '/containers/missing/start') {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'No such container: missing' }));
    } else {
      res.writeHead(500).end('plain failure');
    }
  });
  server.on('upgrade', (_req, socket) => {
    socket.write(
      'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello',
    );
    socket.end(' stream');
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  client = new EngineClient(socketPath);
});

afterAll(async () => {
  client.close();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

function ordered(e: { sent: number; headers: number; answered: number }): void {
  expect(Number.isFinite(e.sent)).toBe(true);
  expect(e.headers).toBeGreaterThanOrEqual(e.sent);
  expect(e.answered).toBeGreaterThanOrEqual(e.headers);
}

test('a request sends its JSON and resolves with the parsed answer and when it went out and came back', async () => {
  const before = performance.now();
  const { body, exchange } = await client.request('POST', '/containers/create', { Image: 'img' });
  expect(body).toEqual({ Id: 'id-of-img' });
  ordered(exchange);
  expect(exchange.sent).toBeGreaterThanOrEqual(before);
  expect(exchange.answered).toBeLessThanOrEqual(performance.now());
});

test('an open request resolves at the headers (registered); its body, and the end of its exchange, when the engine answers', async () => {
  const wait = await client.open('POST', '/containers/c/wait?condition=removed');
  expect(Number.isFinite(wait.exchange.headers)).toBe(true);
  let answered = false;
  const body = wait.body.then((b) => ((answered = true), b));
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(answered).toBe(false);
  const released = performance.now();
  releaseWait();
  expect(await body).toEqual({ StatusCode: 3 });
  expect(wait.exchange.answered).toBeGreaterThanOrEqual(released);
  ordered(wait.exchange);
});

test('an error answer is an EngineError with the status and the engine message (as dockerode gives them)', async () => {
  await expect(client.request('POST', '/containers/missing/start')).rejects.toMatchObject({
    name: 'EngineError',
    statusCode: 404,
    json: { message: 'No such container: missing' },
  });
  await expect(client.request('GET', '/other')).rejects.toThrow(new EngineError(500, { message: 'plain failure' }).message);
});

test('an upgrade resolves with the raw stream, the bytes sent with the 101 in front', async () => {
  const { stream, exchange } = await client.upgrade('/containers/c/attach?stream=1&stdout=1&stderr=1');
  ordered(exchange);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe('hello stream');
});
