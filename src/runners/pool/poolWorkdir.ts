import type Docker = require('dockerode');
import { dockerWorkdir } from '../docker/dockerWorkdir';
import type { ResolvedSandboxOptions } from '../options';
import type { SandboxResult } from '../types';
import { closeLayer } from '../workdir/closeLayer';
import { WorkdirLayer } from '../workdir/WorkdirLayer';
import { PooledSandbox } from './PooledSandbox';
import { OVERLAY_LAYERS, TRANSPORTS, type DockerPoolName } from './poolBackends';

/**
 * One pooled sandbox. In `overlay` mode it gets its own layer of the working directory at refill
 * (an overlayfs volume, or gVisor's copy: OVERLAY_LAYERS), off any run's time; the spec then binds
 * that instead of the host's directory. The sandbox removes the layer with its container.
 */
export async function startSandbox(
  name: DockerPoolName,
  options: ResolvedSandboxOptions,
  docker: Docker,
  spec: Docker.ContainerCreateOptions,
  launcher: string | null,
): Promise<PooledSandbox> {
  if (options.workdir !== 'overlay') return PooledSandbox.start(docker, spec, TRANSPORTS[name], launcher);
  const layer = OVERLAY_LAYERS[name] === 'copy' ? await WorkdirLayer.copy(options.cwd) : WorkdirLayer.create(options.cwd);
  const { binds, mounts } = dockerWorkdir(options, layer);
  const HostConfig = { ...spec.HostConfig, Binds: [...(spec.HostConfig?.Binds ?? []), ...binds], Mounts: mounts };
  return PooledSandbox.start(docker, { ...spec, HostConfig }, TRANSPORTS[name], launcher, layer);
}

/**
 * After a pooled run in `overlay` mode with `keep`: the container is stopped (everything in it
 * killed, so nothing writes to the layer any more), then the kept paths are copied back; phase
 * `keep` covers both. The layer goes with the container, in the background. Never rejects: a
 * container that does not stop, or a copy that fails, makes the run an error.
 */
export async function keepFromSandbox(
  sandbox: PooledSandbox,
  result: SandboxResult,
  options: ResolvedSandboxOptions,
): Promise<SandboxResult> {
  if (sandbox.layer === null || options.keep.length === 0) return result;
  const t = performance.now();
  try {
    await sandbox.stop();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ...result, outcome: 'error', error: `keep: ${why}`, phases: { ...result.phases, keep: performance.now() - t } };
  }
  const stopMs = performance.now() - t;
  const kept = await closeLayer(result, sandbox.layer, options, false);
  return { ...kept, phases: { ...kept.phases, keep: stopMs + (kept.phases.keep ?? 0) } };
}
