import os from 'node:os';
import { probeCgroupV1 } from './host/cgroupV1';
import { pingEngine } from './docker/dockerEngine';
import { defaultDockerSocket } from './options';
import { removeOrphans, type OrphanSweep } from './orphans';
import { errorMessage } from '../log';

export interface GarbageCollection extends OrphanSweep {
  /** The engine socket looked at. */
  socket: string;
  /** Why containers were not looked at (no engine answers there), else null. */
  engineUnavailable: string | null;
}

/**
 * What `sandbox-perf gc` does: removes the containers whose owner process is gone (their labels
 * name its PID, start time, boot id and host), the cgroup groups of this package named after a
 * dead PID, runc-pool's containers of dead owners (as root), and the pool socket directories under `tmpDir` (default: the system's temporary
 * directory) and the working-directory layers there and in /var/tmp and /dev/shm whose owner file
 * names a dead owner, as the next start of a Docker backend would. Containers of live owners, of other hosts
 * and without owner labels are left alone and counted. Never throws for an absent engine: the
 * groups are still swept.
 */
export async function collectGarbage(options: { dockerSocket?: string; tmpDir?: string } = {}): Promise<GarbageCollection> {
  const socket = options.dockerSocket ?? defaultDockerSocket();
  let engineUnavailable: string | null = null;
  const docker = await pingEngine(socket).catch((error: unknown) => {
    engineUnavailable = `no engine answers at ${socket} (${errorMessage(error)})`;
    return null;
  });
  const runc = process.getuid?.() === 0;
  const sweep = await removeOrphans({ docker, cgroup: probeCgroupV1().value, tmpDir: options.tmpDir ?? os.tmpdir(), runc });
  return { ...sweep, socket, engineUnavailable };
}
