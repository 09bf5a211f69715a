import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker = require('dockerode');
import { errorMessage, logOnce } from '../log';
import { CGROUP_PARENT, removeGroup, type CgroupV1 } from './host/cgroupV1';
import { CONTAINER_LABEL, ownerState, type OwnerState } from './docker/containerOwner';
import { parseOwnerTag, probeOwner } from './owner';
import { removeOrphanSocketDirs } from './pool/socketDirs';
import { removeOrphanRuncContainers } from './runc/runcOrphans';
import { layerParents, removeOrphanLayers } from './workdir/WorkdirLayer';

/** What a sweep found and did. */
export interface OrphanSweep {
  /** Ids of the containers removed because their owner is gone. */
  removed: string[];
  /** Containers left alone, by what their labels say (`alive`, `foreign`, `unknown`). */
  kept: Record<Exclude<OwnerState, 'gone'>, number>;
  /** Groups removed under sandbox-perf/ in the cgroup v1 hierarchies, because the process named in them is gone. */
  cgroupsRemoved: string[];
  /** Such groups left alone: their owner runs, cannot be seen from here, or is not named in full (a name from before the owner tag). */
  cgroupsKept: number;
  /** docker-pool agent socket directories (`$TMPDIR/sandbox-perf-pool-*`) removed because their owner is gone. */
  socketDirsRemoved: string[];
  /** Such directories left alone: owner alive or on another host, or not provably ours (see pool/socketDirs.ts). */
  socketDirsKept: number;
  /** Working-directory layers (`sandbox-perf-layer-*`, workdir/WorkdirLayer.ts) of dead owners, detached and removed. */
  layersRemoved: string[];
  /** runc-pool containers (runc state and bundle, runc/runcOrphans.ts) removed because their owner is gone. */
  runcRemoved: string[];
  /** Such containers left alone: owner alive, or not provably gone. */
  runcKept: number;
  /** One line per container, group or directory that could not be removed. */
  failures: string[];
}

/**
 * Groups of this package are named `<kind>-<owner tag>-<rest>` (`run-…` for host runs, `docker-…`
 * and `warm-…` for containers' cgroup parents): the PID, start time and PID namespace of the
 * process that made them (owner.ts's ownerTag). Groups named after a PID alone (`run-<pid>-…`, made
 * before the tag) cannot be judged and are left alone.
 */
const GROUP_NAME = /^[a-z]+-(\d+\.\d+\.\d+)-/;

/** Removes every container labelled `sandbox-perf` whose owner is gone (see containerOwner.ts). */
/** How long a sweep waits for someone else's removal of the same container to end. */
const REMOVAL_WAIT_MS = 10_000;

/** Whether the container is gone (404) within `ms`, looking every 50 ms. */
async function goneWithin(docker: Docker, id: string, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    try {
      await docker.getContainer(id).inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

export async function removeOrphanContainers(docker: Docker, sweep: OrphanSweep): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [CONTAINER_LABEL] } });
  await Promise.all(
    containers.map(async (info) => {
      const state = ownerState(info.Labels);
      if (state !== 'gone') {
        sweep.kept[state]++;
        return;
      }
      try {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
        sweep.removed.push(info.Id);
      } catch (error) {
        // 404: removed meanwhile by someone else (another sweep, the runner's guardian): gone all
        // the same. 409: their removal is in progress: gone once it ends, a failure if it does not.
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 404 || (status === 409 && (await goneWithin(docker, info.Id, REMOVAL_WAIT_MS)))) return;
        sweep.failures.push(`container ${info.Id.slice(0, 12)}: ${errorMessage(error)}`);
      }
    }),
  );
}

/** Removes the groups under sandbox-perf/ whose creating process is provably gone, killing what is left in them. */
export async function removeOrphanGroups(cgroup: CgroupV1, sweep: OrphanSweep): Promise<void> {
  const orphans = new Set<string>();
  const kept = new Set<string>();
  for (const root of new Set(cgroup.hierarchies)) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, CGROUP_PARENT), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || orphans.has(entry.name) || kept.has(entry.name)) continue;
      const owner = parseOwnerTag(GROUP_NAME.exec(entry.name)?.[1] ?? '');
      if (owner !== null && probeOwner(owner) === 'gone') orphans.add(entry.name);
      else kept.add(entry.name);
    }
  }
  sweep.cgroupsKept += kept.size;
  for (const name of orphans) {
    const relative = path.join(CGROUP_PARENT, name);
    try {
      if (await removeGroup(cgroup.hierarchies, relative)) sweep.cgroupsRemoved.push(relative);
      else sweep.failures.push(`cgroup ${relative}: still holds processes this process cannot see or kill`);
    } catch (error) {
      sweep.failures.push(`cgroup ${relative}: ${errorMessage(error)}`);
    }
  }
}

/** Sweeps the engine's containers, the host's groups and the pools' socket directories under `tmpDir` (each when given). Never throws. */
export async function removeOrphans(parts: {
  docker?: Docker | null;
  cgroup?: CgroupV1 | null;
  tmpDir?: string | null;
  /** Whether to sweep runc-pool's containers (root only: runc's state is root's). */
  runc?: boolean;
}): Promise<OrphanSweep> {
  const sweep: OrphanSweep = {
    removed: [],
    kept: { alive: 0, foreign: 0, unknown: 0 },
    cgroupsRemoved: [],
    cgroupsKept: 0,
    socketDirsRemoved: [],
    socketDirsKept: 0,
    layersRemoved: [],
    runcRemoved: [],
    runcKept: 0,
    failures: [],
  };
  if (parts.docker) {
    try {
      await removeOrphanContainers(parts.docker, sweep);
    } catch (error) {
      sweep.failures.push(`listing containers: ${errorMessage(error)}`);
    }
  }
  if (parts.runc) {
    const runc = await removeOrphanRuncContainers();
    sweep.runcRemoved.push(...runc.removed);
    sweep.runcKept += runc.kept;
    sweep.failures.push(...runc.failures);
  }
  // Containers first: removing one frees its group, whose parent can then go.
  if (parts.cgroup) await removeOrphanGroups(parts.cgroup, sweep);
  if (parts.tmpDir) {
    const dirs = removeOrphanSocketDirs(parts.tmpDir);
    sweep.socketDirsRemoved.push(...dirs.removed);
    sweep.socketDirsKept += dirs.kept;
    sweep.failures.push(...dirs.failures);
    for (const parent of new Set([parts.tmpDir, ...layerParents()])) {
      const layers = await removeOrphanLayers(parent);
      sweep.layersRemoved.push(...layers.removed);
      sweep.failures.push(...layers.failures);
    }
  }
  return sweep;
}

/** A long-lived process sweeps again at most this often (every runner's exit is worth catching, not every prepare). */
const SWEEP_INTERVAL_MS = 60_000;
const swept = new Map<string, { at: number; pending: Promise<OrphanSweep> }>();

/**
 * The sweep a Docker backend's `prepare()` does: it removes what runners killed without cleanup
 * (SIGKILL) left behind. At most once a minute per engine socket in a process, so a `compare`
 * preparing several backends sweeps once. Failures are logged once, never thrown: a sweep must
 * not stop a run.
 */
export function sweepOnce(socket: string, docker: Docker, cgroup: CgroupV1 | null): Promise<OrphanSweep> {
  const last = swept.get(socket);
  if (last && performance.now() - last.at < SWEEP_INTERVAL_MS) return last.pending;
  const pending = removeOrphans({ docker, cgroup, tmpDir: os.tmpdir() }).then((sweep) => {
    for (const failure of sweep.failures) logOnce(new Error(failure), 'sandbox-perf: could not remove an orphan');
    return sweep;
  });
  swept.set(socket, { at: performance.now(), pending });
  return pending;
}
