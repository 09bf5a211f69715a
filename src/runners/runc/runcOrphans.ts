import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, logOnce } from '../../log';
import { parseOwnerTag, probeOwner } from '../owner';
import { runtimeHolding, runtimeNamed } from './ociRuntime';
import { deleteContainer, RUNC_BUNDLES, RUNTIME_STATES } from './runcCli';

/** runc-pool's container ids: `runc-<owner tag>-<8 hex>` (runcSource.ts). */
const ID = /^runc-(\d+\.\d+\.\d+)-[0-9a-f]{8}$/;

export interface RuncSweep {
  /** Containers (crun's or runc's state, bundle or both) removed because their owner is gone. */
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
 * Removes the runc-pool containers whose owner is gone (a SIGKILLed runner's): `delete --force`
 * by the runtime that made it, crun or runc (it kills what still runs, removes the state and the
 * cgroups), then the bundle directory. Only ids of our shape are looked at, and only under the
 * runtimes' state roots and RUNC_BUNDLES; an
 * owner that runs, or whose liveness cannot be proven from here (another PID namespace we cannot
 * see into), keeps its containers. Never throws.
 */
export async function removeOrphanRuncContainers(): Promise<RuncSweep> {
  const sweep: RuncSweep = { removed: [], kept: 0, failures: [] };
  const ids = new Set([...RUNTIME_STATES.flatMap(namesIn), ...namesIn(RUNC_BUNDLES)]);
  for (const id of ids) {
    const owner = parseOwnerTag(ID.exec(id)?.[1] ?? '');
    if (owner === null || probeOwner(owner) !== 'gone') {
      sweep.kept++;
      continue;
    }
    try {
      const made = runtimeHolding(id);
      if (made !== null) await deleteContainer(runtimeNamed(made), id);
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
