import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, logOnce } from '../../log';
import { parseOwnerTag, probeOwner } from '../owner';
import { deleteContainer, RUNC_BUNDLES, RUNC_STATE } from './runcCli';

/** runc-pool's container ids: `runc-<owner tag>-<8 hex>` (runcSource.ts). */
const ID = /^runc-(\d+\.\d+\.\d+)-[0-9a-f]{8}$/;

export interface RuncSweep {
  /** Containers (runc state, bundle or both) removed because their owner is gone. */
  removed: string[];
  /** Ones left alone: owner alive, or not provably gone. */
  kept: number;
  failures: string[];
}

function namesIn(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((name) => ID.test(name));
  } catch {
    return [];
  }
}

/**
 * Removes the runc-pool containers whose owner is gone (a SIGKILLed runner's): `runc delete
 * --force` (it kills what still runs, removes the state and the cgroups), then the bundle
 * directory. Only ids of our shape are looked at, and only under RUNC_STATE and RUNC_BUNDLES; an
 * owner that runs, or whose liveness cannot be proven from here (another PID namespace we cannot
 * see into), keeps its containers. Never throws.
 */
export async function removeOrphanRuncContainers(): Promise<RuncSweep> {
  const sweep: RuncSweep = { removed: [], kept: 0, failures: [] };
  const ids = new Set([...namesIn(RUNC_STATE), ...namesIn(RUNC_BUNDLES)]);
  for (const id of ids) {
    const owner = parseOwnerTag(ID.exec(id)?.[1] ?? '');
    if (owner === null || probeOwner(owner) !== 'gone') {
      sweep.kept++;
      continue;
    }
    try {
      if (fs.existsSync(path.join(RUNC_STATE, id))) await deleteContainer(id);
      await fs.promises.rm(path.join(RUNC_BUNDLES, id), { recursive: true, force: true });
      sweep.removed.push(id);
    } catch (error) {
      sweep.failures.push(`runc container ${id}: ${errorMessage(error)}`);
    }
  }
  return sweep;
}

/**
 * The sweep a runc-pool's prepare does, at every prepare (a readdir and a liveness probe per id:
 * cheap beside a pool's fill), so the next start after a SIGKILL finds nothing left; failures are
 * logged once, never thrown.
 */
export async function sweepRunc(): Promise<RuncSweep> {
  const sweep = await removeOrphanRuncContainers();
  for (const failure of sweep.failures) logOnce(new Error(failure), 'sandbox-perf: could not remove an orphan');
  return sweep;
}
