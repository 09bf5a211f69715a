import { connectEngine, type Engine } from '../docker/dockerEngine';
import { prepareDockerWorkdir } from '../docker/dockerWorkdir';
import { BackendUnavailableError, QuotaUnsupportedError } from '../errors';
import { requireGuard } from '../host/guard';
import { assertSandboxUserCanEnter } from '../cwdAccess';
import { containerUserIds } from '../docker/containerSpec';
import type { ResolvedSandboxOptions } from '../options';
import type { Transport } from './agentChannel';

/** The pools whose containers Docker's engine starts: fresh `docker` (runc) or `gvisor` (runsc) containers. */
export type DockerPoolName = 'docker-pool' | 'gvisor-pool';
/** The pool backends: Docker's two, and `runc-pool`, whose containers runc starts without the engine (runc/). */
export type PoolBackendName = DockerPoolName | 'runc-pool';

/** The Docker runtime of each pool backend; gVisor's is registered by .ci/docker-up.sh. */
export const RUNTIMES: Record<DockerPoolName, string | undefined> = { 'docker-pool': undefined, 'gvisor-pool': 'runsc' };
/** How each reaches its agents (see agentChannel.ts): runc sees a host socket, gVisor's sandbox does not. */
export const TRANSPORTS: Record<DockerPoolName, Transport> = { 'docker-pool': 'socket', 'gvisor-pool': 'attach' };
/**
 * Whether each runs its containers behind the socket guard (host/guard.ts): runc shares the host's
 * kernel, so a socket in the bound working directory would be reachable; gVisor's sentry refuses
 * host sockets itself.
 */
export const GUARDED: Record<DockerPoolName, boolean> = { 'docker-pool': true, 'gvisor-pool': false };
/** How to make gvisor-pool available. */
export const ENABLE_RUNSC = '.ci/docker-up.sh (registers runsc as a Docker runtime)';
/** Label naming the pool backend, next to the owner labels every container of this package carries. */
export const POOL_LABEL = 'sandbox-perf.pool';

/** Connects and checks the engine can run this pool backend (image, runtime) without starting anything. */
export async function connectPoolEngine(name: DockerPoolName, options: ResolvedSandboxOptions): Promise<Engine> {
  if (GUARDED[name]) requireGuard(name);
  assertSandboxUserCanEnter(name, options.cwd, containerUserIds(options.cwd));
  const engine = await connectEngine(name, options);
  // `overlay`: each sandbox gets its layer at refill (poolWorkdir.ts); here the place for them.
  await prepareDockerWorkdir(options);
  const runtime = RUNTIMES[name];
  if (runtime !== undefined) {
    const { Runtimes } = (await engine.docker.info()) as { Runtimes?: Record<string, unknown> };
    if (!Runtimes || !(runtime in Runtimes))
      throw new BackendUnavailableError(name, `the engine has no '${runtime}' runtime`, ENABLE_RUNSC);
    if (options.network)
      throw new BackendUnavailableError(name, 'no network: the runsc runtime is registered with --network=none', ENABLE_RUNSC);
    // Registered with --ignore-cgroups (as .ci/docker-up.sh does: runsc cannot run this host's
    // hybrid cgroups otherwise), runsc applies none of the container's limits: a --memory 64 run
    // allocated 400 MB and --cpus 0.25 ran at full speed. Refused, not measured without them.
    const { runtimeArgs = [] } = (Runtimes[runtime] ?? {}) as { runtimeArgs?: unknown[] };
    const ignoresCgroups = runtimeArgs.some((arg) => typeof arg === 'string' && /^--?ignore-cgroups(=true)?$/.test(arg));
    for (const quota of ['memoryBytes', 'cpus'] as const) {
      if (options[quota] !== undefined && ignoresCgroups) {
        throw new QuotaUnsupportedError(
          name,
          quota,
          `the engine's '${runtime}' runtime is registered with --ignore-cgroups, so runsc applies no cgroup limit`,
        );
      }
    }
  }
  return engine;
}
/**
 * What an `overlay` run's working directory is in each pool: an overlayfs layer (a volume of
 * Docker's local driver), or for gVisor, whose runsc 2022-12-19 answers EINVAL to stat() on an
 * overlayfs bind, a copy of the directory made at refill (WorkdirLayer.copy).
 */
export const OVERLAY_LAYERS: Record<DockerPoolName, 'overlay' | 'copy'> = { 'docker-pool': 'overlay', 'gvisor-pool': 'copy' };
