import { randomBytes } from 'node:crypto';
import type Docker = require('dockerode');
import { boundedOutputs, type BoundedOutput, type OutputListener } from '../BoundedOutput';
import { engineMessage } from '../docker/dockerEngine';
import { agentCommand } from './agentScript';
import { attachChannel, AGENT_SOCKET_DIR, SocketListener, type AgentChannel, type Transport } from './agentChannel';
import type { WorkdirLayer } from '../workdir/WorkdirLayer';
import { FrameReader, parseAccepted, parseExit, parseReady, ProtocolError, type ExitReport, type FrameType } from './agentProtocol';

/** A container whose agent has not said it is ready by then is discarded (gVisor boots in ~1–4 s here). */
export const READY_TIMEOUT_MS = 30_000;
/** How long past the run's timeout the host waits for the agent before killing the container itself. */
const HOST_TIMEOUT_GRACE_MS = 2000;

/** Milliseconds each background step of a sandbox took, off any caller's time. */
export interface SandboxLifecycle {
  createMs: number;
  /** Attaching the container's stdio, or opening its socket (before `start`). */
  attachMs: number;
  startMs: number;
  /** Container started → the agent's ready frame arrived (node's boot in the container). */
  readyMs: number;
}

export interface AgentRequest {
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  timeoutMs: number;
}

export type HandOff =
  /** The agent never took the request (it was dead or broke the protocol): nothing ran, try another sandbox. */
  | { kind: 'refused'; reason: string }
  /** The request ran; `report` is null when the agent died or misbehaved after taking it. */
  | {
      kind: 'ran';
      written: bigint;
      reported: bigint;
      report: ExitReport | null;
      failure: string | null;
      hostTimedOut: boolean;
      stdout: BoundedOutput;
      stderr: BoundedOutput;
    };

export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * What a pool does to one of its containers, whoever runs it: Docker's engine (docker-pool,
 * gvisor-pool) or runc directly (runc-pool, runc/runcSandbox.ts).
 */
export interface SandboxContainer {
  /** SIGKILL to everything in it. */
  kill(): Promise<unknown>;
  /** Resolves once it has stopped. */
  wait(): Promise<unknown>;
  /** Removes it, killing what still runs. */
  remove(): Promise<unknown>;
}

/** A Docker container as a pool's SandboxContainer. */
function engineContainer(container: Docker.Container): SandboxContainer {
  return {
    kill: () => container.kill({ signal: 'SIGKILL' }),
    wait: () => container.wait(),
    remove: () => container.remove({ force: true, v: true }),
  };
}

/**
 * One pooled container: created and started ahead of demand, its agent connected and waiting.
 * It serves exactly one hand-off; `dispose` then removes it. While idle, an agent that dies or
 * sends anything calls `onLost`, and the pool drops the sandbox: it is never handed out.
 */
export class PooledSandbox {
  private state: 'idle' | 'taken' | 'lost' = 'idle';
  private onFrame: ((type: FrameType, payload: Buffer) => void) | undefined;
  private onEnd: ((reason: string) => void) | undefined;
  private lostReason: string | null = null;
  onLost: ((reason: string) => void) | undefined;

  private constructor(
    readonly container: SandboxContainer,
    private readonly channel: AgentChannel,
    private readonly listener: SocketListener | undefined,
    readonly lifecycle: SandboxLifecycle,
    /** Its working directory's layer in `overlay` mode (made at refill, removed with the container), else null. */
    readonly layer: WorkdirLayer | null,
  ) {}

  get idle(): boolean {
    return this.state === 'idle';
  }

  /** Creates and starts a container running the agent, and waits for its ready frame (with its token). */
  static async start(
    docker: Docker,
    spec: Docker.ContainerCreateOptions,
    transport: Transport,
    launcher: string | null,
    layer: WorkdirLayer | null = null,
  ): Promise<PooledSandbox> {
    const token = randomBytes(16).toString('hex');
    const listener = transport === 'socket' ? await SocketListener.open() : undefined;
    let container: Docker.Container | undefined;
    let channel: AgentChannel | undefined;
    try {
      let t = performance.now();
      container = await docker.createContainer({
        ...spec,
        Cmd: agentCommand(spec.Cmd as string[], token, listener ? `${AGENT_SOCKET_DIR}/agent.sock` : '', launcher),
        HostConfig: { ...spec.HostConfig, Binds: [...(spec.HostConfig?.Binds ?? []), ...(listener ? [listener.bind()] : [])] },
      });
      const createMs = performance.now() - t;
      t = performance.now();
      if (!listener) channel = await attachChannel(docker, container);
      const attachMs = performance.now() - t;
      t = performance.now();
      await container.start();
      const startMs = performance.now() - t;
      t = performance.now();
      channel ??= await within((listener as SocketListener).connected, READY_TIMEOUT_MS, 'the agent did not connect');
      return await PooledSandbox.ready(
        engineContainer(container),
        channel,
        listener,
        { createMs, attachMs, startMs, readyMs: 0 },
        layer,
        token,
        t,
      );
    } catch (error) {
      const why = channel?.diagnostics() ?? '';
      channel?.destroy();
      listener?.close();
      await container?.remove({ force: true, v: true }).catch(() => undefined);
      await layer?.remove().catch(() => undefined);
      throw new Error(`the pooled container did not become ready: ${engineMessage(error)}${why}`, { cause: error });
    }
  }

  /**
   * A started container whose agent has connected (`channel`): sends the warm-up line and resolves
   * with the sandbox once the agent's ready frame carrying `token` arrives; `since` is when the
   * container was started (the lifecycle's readyMs counts from it).
   */
  static async ready(
    container: SandboxContainer,
    channel: AgentChannel,
    listener: SocketListener | undefined,
    lifecycle: SandboxLifecycle,
    layer: WorkdirLayer | null,
    token: string,
    since: number,
  ): Promise<PooledSandbox> {
    const sandbox = new PooledSandbox(container, channel, listener, lifecycle, layer);
    const ready = sandbox.listen(token);
    // The warm-up line: the agent reads it through its request path before it says it is ready.
    channel.write('\n');
    await within(ready, READY_TIMEOUT_MS, 'the agent sent no ready frame');
    sandbox.lifecycle.readyMs = performance.now() - since;
    return sandbox;
  }

  /** Wires the channel; resolves on the agent's ready frame carrying `token`, rejects on anything else. */
  private listen(token: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const reader = new FrameReader((type, payload) => {
        if (this.onFrame) {
          this.onFrame(type, payload);
          return;
        }
        if (!ready && type === 'R' && parseReady(payload) === token) {
          ready = true;
          resolve();
          return;
        }
        throw new ProtocolError(`the idle agent sent an unexpected '${type}' frame`);
      });
      this.channel.onData = (chunk) => {
        try {
          reader.push(chunk);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          this.channel.destroy();
          this.end(`the agent broke the protocol: ${error.message}`);
        }
      };
      this.channel.onEnd = (reason) => this.end(reason);
      this.end = (reason) => {
        if (!ready) reject(new Error(reason));
        this.lose(reason);
        this.onEnd?.(reason);
      };
    });
  }

  private end: (reason: string) => void = () => undefined;

  private lose(reason: string): void {
    if (this.state === 'lost') return;
    const wasIdle = this.state === 'idle';
    this.state = 'lost';
    this.lostReason = reason;
    if (wasIdle) this.onLost?.(reason);
  }

  /**
   * Hands one request to the agent and collects what comes back. Never rejects: a dead agent is
   * `refused` (nothing ran), a death or protocol breach after the agent took the request is a
   * `ran` without a report. A host-side timer kills the container if the agent misses its own timeout.
   */
  handOff(request: AgentRequest, maxOutputBytes: number, onOutput?: OutputListener): Promise<HandOff> {
    if (this.state !== 'idle') return Promise.resolve({ kind: 'refused', reason: this.lostReason ?? 'the sandbox was already used' });
    this.state = 'taken';
    const { stdout, stderr } = boundedOutputs(maxOutputBytes, onOutput);
    return new Promise<HandOff>((resolve) => {
      let accepted = false;
      let settled = false;
      let hostTimedOut = false;
      let written = 0n;
      const timer = setTimeout(() => {
        hostTimedOut = true;
        this.container.kill().catch(() => undefined);
        this.channel.destroy();
      }, request.timeoutMs + HOST_TIMEOUT_GRACE_MS);
      const settle = (report: ExitReport | null, failure: string | null): void => {
        if (settled) return;
        settled = true;
        const reported = process.hrtime.bigint();
        clearTimeout(timer);
        this.onFrame = undefined;
        this.onEnd = undefined;
        if (!accepted && report === null) resolve({ kind: 'refused', reason: failure ?? 'no answer' });
        else resolve({ kind: 'ran', written, reported, report, failure, hostTimedOut, stdout, stderr });
      };
      this.onFrame = (type, payload) => {
        if (type === 'A' && !accepted) {
          parseAccepted(payload);
          accepted = true;
        } else if (type === 'O' && accepted) stdout.push(payload);
        else if (type === 'E' && accepted) stderr.push(payload);
        else if (type === 'X' && accepted) settle(parseExit(payload), null);
        else throw new ProtocolError(`an unexpected '${type}' frame`);
      };
      this.onEnd = (reason) => settle(null, `${reason} before reporting${this.channel.diagnostics()}`);
      written = process.hrtime.bigint();
      this.channel.write(`${JSON.stringify(request)}\n`);
    });
  }

  /**
   * Kills everything in the container and waits until it has stopped, so that nothing of the run
   * writes to its layer while `keep` copies from it. The container stays, for `dispose`.
   */
  async stop(): Promise<void> {
    await this.container.kill().catch(() => undefined);
    await within(this.container.wait(), READY_TIMEOUT_MS, 'the container did not stop');
  }

  /** Removes the container (and everything still running in it), then its layer; resolves with the milliseconds it took. */
  async dispose(): Promise<number> {
    this.lose('disposed');
    this.channel.destroy();
    const t = performance.now();
    await this.container.remove().catch(() => undefined);
    this.listener?.close();
    await this.layer?.remove().catch(() => undefined);
    return performance.now() - t;
  }
}
