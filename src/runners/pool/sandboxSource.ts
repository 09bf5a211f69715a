import { LAUNCHER_IN_CONTAINER, launcherForRun } from '../host/launcher';
import type { ResolvedSandboxOptions } from '../options';
import { openRuncSource, checkRunc } from '../runc/runcSource';
import { poolContainerSpec } from './agentSpec';
import type { PooledSandbox } from './PooledSandbox';
import { connectPoolEngine, type PoolBackendName } from './poolBackends';
import { startSandbox } from './poolWorkdir';

/** What starts a pool's sandboxes, each with its agent connected and ready. */
export interface SandboxSource {
  /** What starts the sandboxes, as health() says it: `crun` or `runc` (runc-pool), `docker` (docker-pool), `docker (runsc)` (gvisor-pool). */
  runtime: string;
  start(): Promise<PooledSandbox>;
}

/** Checks a pool can run here without starting anything: the engine, image and runtime; for runc-pool, runc, root and the image's bundle. */
export async function checkSource(name: PoolBackendName, options: ResolvedSandboxOptions): Promise<void> {
  if (name === 'runc-pool') await checkRunc(options);
  else await connectPoolEngine(name, options);
}

/**
 * The source of a pool's sandboxes: Docker's engine (docker-pool, gvisor-pool: containers created
 * and started through its API), or crun or runc itself from an OCI bundle of the same image
 * (runc-pool: runc/runcSource.ts, no daemon on a refill's path). Either sweeps first what dead owners left.
 */
export async function openSource(name: PoolBackendName, options: ResolvedSandboxOptions): Promise<SandboxSource> {
  if (name === 'runc-pool') return openRuncSource(options);
  const engine = await connectPoolEngine(name, options);
  const launcher = launcherForRun();
  const spec = poolContainerSpec(name, options, launcher);
  const inContainer = launcher === null ? null : LAUNCHER_IN_CONTAINER;
  return {
    runtime: name === 'gvisor-pool' ? 'docker (runsc)' : 'docker',
    start: () => startSandbox(name, options, engine.docker, spec, inContainer),
  };
}
