import fs from 'node:fs';
import { Writable, type Duplex } from 'node:stream';
import type Docker = require('dockerode');
import { probeCgroupV1, type CgroupV1 } from '../host/cgroupV1';
import { BoundedOutput } from '../BoundedOutput';
import { ensureGuardian } from './containerGuardian';
import { CONTAINER_LABEL } from './containerOwner';
import { assertSocketOutsideCwd, containerSpec } from './containerSpec';
import { BackendUnavailableError } from '../errors';
import { registerRun } from '../inFlightRuns';
import { sweepOnce } from '../orphans';
import type { ResolvedSandboxOptions } from '../options';
import type { BackendName } from '../types';

export const ENABLE_DOCKER = 'apt-get install docker.io && dockerd &';
export const BUILD_IMAGE = '.ci/build-image.sh';
export { CONTAINER_LABEL, containerSpec };
const PING_TIMEOUT_MS = 3000;

export interface Engine {
  docker: Docker;
  /** cgroup v1 of the engine's host, when it is this host and uses cgroupfs: runs are accounted. */
  cgroup: CgroupV1 | null;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} did not answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A client of the engine at `socket` that answered a ping within PING_TIMEOUT_MS; rejects otherwise. */
export async function pingEngine(socket: string): Promise<Docker> {
  // Loaded on first use: dockerode and its dependencies add ~16 MB to the process, and every host
  // backend run forks this process (fork copies its page tables: ~0.14 ms more per run, measured).
  const { default: DockerClient } = await import('dockerode');
  const docker = new DockerClient({ socketPath: socket });
  await withTimeout(docker.ping(), PING_TIMEOUT_MS, `the engine at ${socket}`);
  return docker;
}

/** Connects and checks the engine answers and holds the image; throws BackendUnavailableError naming the socket. */
export async function connectEngine(backend: BackendName, options: ResolvedSandboxOptions): Promise<Engine> {
  const socket = options.dockerSocket;
  assertSocketOutsideCwd(options.cwd, socket);
  let docker: Docker;
  let info: { CgroupDriver?: string; CgroupVersion?: string };
  try {
    docker = await pingEngine(socket);
    info = (await docker.info()) as typeof info;
  } catch (error) {
    throw new BackendUnavailableError(backend, `no engine answers at ${socket}`, ENABLE_DOCKER, { cause: error });
  }
  try {
    await docker.getImage(options.image).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) {
      throw new BackendUnavailableError(backend, `image ${options.image} is not in the engine at ${socket}`, BUILD_IMAGE, { cause: error });
    }
    throw error;
  }
  // Accounting reads the container's cgroup on this host: only when the engine is local
  // (its socket is a file here) and lays out cgroup v1 groups as plain directories. Not tied to the
  // `cgroups` option: runc puts every container in fresh groups anyway, so accounting costs nothing.
  const local = fs.existsSync(socket);
  const cgroup = local && info.CgroupDriver === 'cgroupfs' && info.CgroupVersion === '1' ? probeCgroupV1().value : null;
  // Containers (and their groups) left by runners that died without cleaning up go first.
  await sweepOnce(socket, docker, cgroup);
  // And what this process leaves if it is SIGKILLed goes when it dies.
  ensureGuardian(socket);
  return { docker, cgroup };
}

/**
 * Creates a container that is in the in-flight registry from the moment it is asked for: a
 * SIGINT/SIGTERM that arrives while the engine is still creating it waits for the creation and
 * cleans the container too (else it would be made after the process gave up on it). `cleanup`
 * removes it; `unregister` once the caller removed it itself.
 */
export async function createInFlight(
  docker: Docker,
  spec: Docker.ContainerCreateOptions,
  what: string,
  cleanup: (container: Docker.Container) => Promise<void>,
): Promise<{ container: Docker.Container; unregister: () => void }> {
  const creating = docker.createContainer(spec);
  const unregister = registerRun(what, async () => {
    const container = await creating.catch(() => null);
    if (container) await cleanup(container);
  });
  try {
    return { container: await creating, unregister };
  } catch (error) {
    unregister();
    throw error;
  }
}

function sinkInto(output: BoundedOutput): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      output.push(chunk);
      callback();
    },
  });
}

/** Splits Docker's multiplexed stream into the two bounded outputs; resolves when the stream ends. */
export function collect(
  docker: Docker,
  stream: Duplex | NodeJS.ReadableStream,
  stdout: BoundedOutput,
  stderr: BoundedOutput,
): Promise<void> {
  docker.modem.demuxStream(stream, sinkInto(stdout), sinkInto(stderr));
  return new Promise<void>((resolve) => {
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
}

/** Resolves after `ms`, or at once when `promise` settles first; never rejects. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The message the engine gave, without dockerode's "(HTTP code 400) unexpected - " prefix. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } }).json;
  if (json && typeof json.message === 'string') return json.message;
  return error instanceof Error ? error.message : String(error);
}
