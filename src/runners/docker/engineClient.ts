import http from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The few Engine API requests a `docker` run makes (create, attach, wait, start, remove), sent by
 * hand over the engine's Unix socket so that each is timed where the engine's share begins and
 * ends (an Exchange). What lies outside those intervals is this process's own work: building and
 * parsing JSON, awaiting, attaching streams. One keep-alive agent per client: a run reuses the
 * connections the previous one left idle (they do not keep the process alive).
 */

/** One request on the clock of performance.now(), filled in as it goes. */
export interface Exchange {
  /** Its last byte handed to the socket. */
  sent: number;
  /** The engine's headers in: it has registered the request (a wait) or switched protocols (an attach). */
  headers: number;
  /** The engine's last byte in (for an attach, its headers: the stream follows). */
  answered: number;
}

/** An error answer, shaped as dockerode's (engineMessage reads `json.message`). */
export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    readonly statusCode: number,
    readonly json: { message: string },
  ) {
    super(`(HTTP code ${statusCode}) ${json.message}`);
  }
}

/** A request whose headers are in. */
export interface Opened {
  exchange: Exchange;
  /** The body parsed as JSON (null when empty), once its last byte is in; EngineError on an error status. */
  body: Promise<unknown>;
  /** Gives up on the answer (its connection is closed). */
  abort(): void;
}

function parse(text: string): unknown {
  return text.length === 0 ? null : (JSON.parse(text) as unknown);
}

function failure(status: number, text: string): EngineError {
  let message = text.trim();
  try {
    const json = parse(text) as { message?: unknown } | null;
    if (json !== null && typeof json.message === 'string') message = json.message;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return new EngineError(status, { message: message || `HTTP ${status}` });
}

function readAll(res: http.IncomingMessage, exchange: Exchange): Promise<string> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    res.on('data', (chunk: Buffer) => {
      exchange.answered = performance.now();
      chunks.push(chunk);
    });
    res.once('error', reject);
    res.once('aborted', () => reject(new Error('the engine closed the connection before its answer ended')));
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export class EngineClient {
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(private readonly socketPath: string) {}

  private send(
    method: string,
    path: string,
    body: unknown,
    headers: http.OutgoingHttpHeaders,
  ): { req: http.ClientRequest; exchange: Exchange } {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const req = http.request({
      socketPath: this.socketPath,
      agent: this.agent,
      method,
      path,
      headers: {
        ...headers,
        'Content-Length': Buffer.byteLength(payload),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
    });
    const exchange: Exchange = { sent: Number.NaN, headers: Number.NaN, answered: Number.NaN };
    req.once('finish', () => (exchange.sent = performance.now()));
    req.end(payload);
    return { req, exchange };
  }

  /** A request whose answer may come much later (a wait): resolves once the engine's headers are in. */
  open(method: string, path: string, body?: unknown): Promise<Opened> {
    const { req, exchange } = this.send(method, path, body, {});
    return new Promise((resolve, reject) => {
      req.once('error', reject);
      req.once('response', (res) => {
        exchange.headers = exchange.answered = performance.now();
        const status = res.statusCode ?? 0;
        const text = readAll(res, exchange);
        const parsed = text.then((t) => {
          if (status >= 400) throw failure(status, t);
          return parse(t);
        });
        // A caller that aborts never reads the body: its rejection is not unhandled.
        parsed.catch(() => undefined);
        resolve({ exchange, body: parsed, abort: () => req.destroy() });
      });
    });
  }

  /** A request answered at once: its parsed body and its exchange. */
  async request(method: string, path: string, body?: unknown): Promise<{ body: unknown; exchange: Exchange }> {
    const opened = await this.open(method, path, body);
    return { body: await opened.body, exchange: opened.exchange };
  }

  /**
   * `POST path` upgraded to a raw stream (attach): resolves once the engine switched protocols, with
   * any bytes it sent along already in front of the stream.
   */
  upgrade(path: string): Promise<{ stream: Duplex; exchange: Exchange }> {
    const { req, exchange } = this.send('POST', path, undefined, { Connection: 'Upgrade', Upgrade: 'tcp' });
    return new Promise((resolve, reject) => {
      req.once('error', reject);
      req.once('upgrade', (_res, socket, head) => {
        exchange.headers = exchange.answered = performance.now();
        if (head.length > 0) socket.unshift(head);
        resolve({ stream: socket, exchange });
      });
      req.once('response', (res) => {
        readAll(res, exchange).then((text) => reject(failure(res.statusCode ?? 0, text)), reject);
      });
    });
  }

  /** Closes the idle connections. */
  close(): void {
    this.agent.destroy();
  }
}
