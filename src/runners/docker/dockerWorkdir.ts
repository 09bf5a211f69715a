import type Docker = require('dockerode');
import type { ResolvedSandboxOptions } from '../options';
import { layerParent, sweepOrphanLayersOnce, type WorkdirLayer } from '../workdir/WorkdirLayer';

/** How a container sees the working directory: the bind or the volume that puts it at its path. */
export interface DockerWorkdir {
  binds: string[];
  mounts: Docker.MountSettings[];
}

/**
 * The working directory's mount in a container, by mode (docs/runners.md, "The working directory"):
 * `rw` binds the host's directory writable, `ro` read-only without what is mounted below it; `overlay` mounts the run's layer
 * as an anonymous volume of Docker's local driver (an overlayfs the engine mounts at the
 * container's start and unmounts with it; removed with the container), or binds the layer's copy
 * of the directory (gVisor's pool). `shared` is docker-warm's mount point, bound with slave
 * propagation so that each run's overlay, mounted there on the host, shows in the container.
 */
export function dockerWorkdir(options: ResolvedSandboxOptions, layer: WorkdirLayer | null, shared?: string): DockerWorkdir {
  const { cwd } = options;
  if (shared !== undefined) return { binds: [`${shared}:${cwd}:ro,rslave`], mounts: [] };
  if (options.workdir === 'rw') return { binds: [`${cwd}:${cwd}:rw`], mounts: [] };
  // Not a `:ro` bind: Docker binds recursively and makes only the top read-only, so a file system
  // mounted below the working directory stayed writable (a history bound there was truncated).
  // Non-recursive, as the host backends' read-only view: what is mounted below is not in it.
  if (options.workdir === 'ro') return { binds: [], mounts: [readOnlyBind(cwd)] };
  // Without its layer (a spec read for its user and environment only), never the host's directory.
  if (layer === null) return { binds: [], mounts: [] };
  if (layer.kind === 'copy') return { binds: [`${layer.copyDir}:${cwd}:rw`], mounts: [] };
  return {
    binds: [],
    mounts: [
      {
        Type: 'volume',
        // No name: an anonymous volume, removed with the container.
        Source: '',
        Target: cwd,
        VolumeOptions: {
          // Docker would otherwise copy the image's files at that path into the layer.
          NoCopy: true,
          Labels: {},
          DriverConfig: { Name: 'local', Options: { type: 'overlay', device: 'overlay', o: layer.mountOptions } },
        },
      },
    ],
  };
}

/** A read-only, non-recursive bind of `dir` at its own path (Engine API 1.40's BindOptions.NonRecursive, Docker 19.03). */
function readOnlyBind(dir: string): Docker.MountSettings {
  const bindOptions = { NonRecursive: true } as unknown as NonNullable<Docker.MountSettings['BindOptions']>;
  return { Type: 'bind', Source: dir, Target: dir, ReadOnly: true, BindOptions: bindOptions };
}

/**
 * Before a Docker backend's first `overlay` run: the layers that SIGKILLed runners left are swept
 * (once per process), and a place for the layers is found (layerParent throws, naming the places
 * tried, when the working directory holds them all).
 */
export async function prepareDockerWorkdir(options: ResolvedSandboxOptions): Promise<void> {
  if (options.workdir !== 'overlay') return;
  layerParent(options.cwd);
  await sweepOrphanLayersOnce();
}
