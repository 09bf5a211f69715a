import fs from 'node:fs';
import net from 'node:net';
import { Writable, type Duplex } from 'node:stream';
import type Docker = require('dockerode');
import { BoundedOutput } from '../BoundedOutput';
import { makeSocketDir } from './socketDirs';

/**
 * The byte pipe between the host and one agent. `socket`: a Unix socket in a per-container host
 * directory, bind-mounted read-only into the container, that the agent connects to: the kernel
 * carries the hand-off, no daemon in between (runc). `attach`: the container's stdin and stdout,
 * attached through the engine before the container starts (gVisor, whose sandbox cannot reach a
 * host socket unless runsc is registered with --fsgofer-host-uds).
 */
export type Transport = 'socket' | 'attach';

export interface AgentChannel {
  /** Every chunk the agent writes, in order. */
  onData: ((chunk: Buffer) => void) | undefined;
  /** Called once when the channel ends, with why. */
  onEnd: ((reason: string) => void) | undefined;
  write(data: string): void;
  destroy(): void;
  /** The last lines the agent wrote to its stderr (attach only), to explain a death. */
  diagnostics(): string;
}

const DIAGNOSTIC_BYTES = 2048;
/** Where the agent finds its socket inside the container. */
export const AGENT_SOCKET_DIR = '/run/sandbox-perf-agent';

class StreamChannel implements AgentChannel {
  onData: ((chunk: Buffer) => void) | undefined;
  onEnd: ((reason: string) => void) | undefined;
  private ended = false;
  private readonly stderr = new BoundedOutput(DIAGNOSTIC_BYTES);

  constructor(private readonly stream: Duplex) {
    stream.once('end', () => this.end('the agent exited'));
    stream.once('close', () => this.end('the agent exited'));
    stream.once('error', (error) => this.end(`the agent's channel failed: ${error.message}`));
  }

  /** A plain socket: the agent's frames are the bytes. */
  static plain(socket: net.Socket): StreamChannel {
    const channel = new StreamChannel(socket);
    socket.on('data', (chunk: Buffer) => channel.onData?.(chunk));
    return channel;
  }

  /** An engine attach stream: stdout and stderr come multiplexed, the frames are on stdout. */
  static attached(docker: Docker, hijacked: unknown): StreamChannel {
    const stream = hijacked as Duplex;
    const channel = new StreamChannel(stream);
    const sink = (write: (chunk: Buffer) => void): Writable =>
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          write(chunk);
          callback();
        },
      });
    docker.modem.demuxStream(
      stream,
      sink((chunk) => channel.onData?.(chunk)),
      sink((chunk) => channel.stderr.push(chunk)),
    );
    return channel;
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd?.(reason);
  }

  write(data: string): void {
    this.stream.write(data);
  }

  destroy(): void {
    this.stream.destroy();
  }

  diagnostics(): string {
    const text = this.stderr.text().trim();
    return text === '' ? '' : ` (its stderr: ${text.split('\n').slice(-3).join(' | ')})`;
  }
}

/** Attaches stdin/stdout/stderr of a created container; call before starting it. */
export async function attachChannel(docker: Docker, container: Docker.Container): Promise<AgentChannel> {
  // dockerode types the hijacked stream as a ReadWriteStream; it is the socket, a Duplex.
  const stream: unknown = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
  return StreamChannel.attached(docker, stream);
}

/**
 * A per-container directory holding a listening socket that accepts exactly one connection (the
 * agent's), then stops listening and unlinks the socket, so nothing else in the container can
 * connect later. The directory sits outside any working directory a sandbox binds (the system's
 * temporary directory, which containers never see: theirs is a tmpfs); it names its owner, so that
 * a SIGKILLed runner's are removed by the next sweep (socketDirs.ts).
 */
export class SocketListener {
  private constructor(
    readonly dir: string,
    readonly agentDir: string,
    private readonly server: net.Server,
    readonly connected: Promise<AgentChannel>,
  ) {}

  static async open(): Promise<SocketListener> {
    const { dir, agentDir, socket: file } = makeSocketDir();
    const server = net.createServer();
    let resolveConnected: (channel: AgentChannel) => void = () => undefined;
    const connected = new Promise<AgentChannel>((resolve) => (resolveConnected = resolve));
    let taken = false;
    server.on('connection', (socket) => {
      if (taken) return socket.destroy();
      taken = true;
      server.close();
      fs.rmSync(file, { force: true });
      resolveConnected(StreamChannel.plain(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => resolve());
    });
    // The container's user is not root: it must be able to connect.
    fs.chmodSync(file, 0o666);
    return new SocketListener(dir, agentDir, server, connected);
  }

  /** The bind that shows the directory to the agent, read-only (connect() needs no write access to the mount). */
  bind(): string {
    return `${this.agentDir}:${AGENT_SOCKET_DIR}:ro`;
  }

  close(): void {
    this.server.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
