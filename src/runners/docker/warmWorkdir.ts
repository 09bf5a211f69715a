import fs from 'node:fs';
import path from 'node:path';
import { registerTeardown } from '../inFlightRuns';
import { mountTool, unmountAll } from '../workdir/mounts';
import { layerParent, WorkdirLayer } from '../workdir/WorkdirLayer';

/**
 * docker-warm's working directory in `overlay` mode. The warm container outlives its runs, and a
 * container's mounts are fixed when it is created, so it binds, with slave propagation, a mount
 * point of the host: a read-only bind of the working directory, made a shared mount. Each run
 * mounts its own overlayfs layer there on the host (it shows in the container at the working
 * directory's path), and unmounts it once the run's processes are gone. Between runs the container
 * sees the host's directory read-only. Runs take turns: the container has one working directory.
 *
 * These mounts are the host's. On SIGINT, SIGTERM or SIGHUP they are undone in the reverse order
 * of their making (registerTeardown, after the container is removed): the run's overlayfs, its
 * layer, then the read-only bind and its directory. A runner SIGKILLed leaves them, and the next
 * sweep of orphan layers (a Docker backend's start, `sandbox-perf gc`) detaches them before it
 * removes the directory.
 */
/** One run's turn at the warm container's working directory. */
export interface WarmLease {
  layer: WorkdirLayer;
  release(): Promise<void>;
}

export class WarmWorkdir {
  private turn: Promise<void> = Promise.resolve();

  private constructor(
    private readonly home: WorkdirLayer,
    /** The shared mount point bound into the container. */
    readonly mountPoint: string,
  ) {}

  static async create(cwd: string): Promise<WarmWorkdir> {
    // A layer directory of its own (owner file and all), so that the orphan sweep knows it.
    const home = WorkdirLayer.create(cwd, layerParent(cwd));
    const mountPoint = path.join(home.dir, 'mnt');
    fs.mkdirSync(mountPoint, { mode: 0o755 });
    try {
      await mountTool('mount', ['--bind', '-o', 'ro', home.lower, mountPoint]);
      await mountTool('mount', ['--make-shared', mountPoint]);
    } catch (error) {
      await home.remove().catch(() => undefined);
      throw error;
    }
    return new WarmWorkdir(home, mountPoint);
  }

  /**
   * Waits for the runs before it to end, then mounts a fresh layer over the working directory.
   * `release()` (once the run's processes are gone, after `keep`) unmounts and removes it and lets
   * the next run in; it never rejects.
   */
  async acquire(cwd: string): Promise<WarmLease> {
    const previous = this.turn;
    let next: () => void = () => undefined;
    this.turn = new Promise<void>((resolve) => (next = resolve));
    await previous;
    let layer: WorkdirLayer | undefined;
    let unregister: () => void;
    // Once only: a second umount at the point would detach the read-only bind under the overlay.
    let detached: Promise<void> | undefined;
    const detach = (): Promise<void> => (detached ??= mountTool('umount', ['--lazy', this.mountPoint]).catch(() => undefined));
    try {
      layer = WorkdirLayer.create(cwd);
      await mountTool('mount', ['-t', 'overlay', '-o', layer.mountOptions, 'overlay', this.mountPoint]);
      // Registered after the layer, so a signal detaches it first (the top mount at the point is this one).
      unregister = registerTeardown(`docker-warm's overlay at ${this.mountPoint}`, detach);
    } catch (error) {
      await layer?.remove().catch(() => undefined);
      next();
      throw error;
    }
    const mounted = layer;
    const release = async (): Promise<void> => {
      unregister();
      await detach();
      await mounted.remove().catch(() => undefined);
      next();
    };
    return { layer: mounted, release };
  }

  /** Detaches the mount point and removes its directory. */
  async remove(): Promise<void> {
    await unmountAll(this.home.dir);
    await this.home.remove();
  }
}
