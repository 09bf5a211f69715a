import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CGROUP_PARENT, killMembers, membersBut, parseMounts, removeGroup } from './cgroupV1';
import { registerTeardown } from '../inFlightRuns';
import { ownerTag } from '../owner';

/**
 * A cgroup v1 group per run for what no sandbox contains by itself. In the `freezer` hierarchy, for
 * `none`: every process the command starts is in it, a setsid or double-forked one included, so
 * that the run's end and its timeout can kill them all. The group is frozen before the kill, so
 * that nothing in it can fork meanwhile (a fork bomb cannot outrun the kill), then thawed for the
 * SIGKILLs to take effect. The freezer controller counts nothing: joining it costs the migration
 * alone, not the memory controller's charge moving. In the `pids` hierarchy, with `pids.max` the
 * run's `pidsLimit`: the process limit of `none`, and of unshare and bubblewrap where their own PID
 * namespace cannot hold one (see processLimit.ts). A `pids` group lists and kills the run's
 * processes as well as a freezer group (it cannot be frozen, but a fork bomb in it cannot grow past
 * `pids.max` while the kill goes round), so `none` joins that one alone: every join of a v1 group
 * slows the forks after it (`node -e 0` 174 ms with the freezer group, 247 ms with both, load 8).
 * Needs root and the v1 hierarchies.
 */

const probed = new Map<string, { root: string | null; reason: string }>();

/** The v1 hierarchy of `controller` with this package's parent group in it, or null with the reason (cached). */
function probeController(controller: 'freezer' | 'pids'): { root: string | null; reason: string } {
  let found = probed.get(controller);
  if (found) return found;
  try {
    const root = parseMounts().byController.get(controller);
    if (!root) {
      found = { root: null, reason: `no cgroup v1 ${controller} hierarchy is mounted` };
    } else {
      fs.mkdirSync(path.join(root, CGROUP_PARENT), { recursive: true });
      fs.accessSync(path.join(root, CGROUP_PARENT), fs.constants.W_OK);
      found = { root, reason: `cgroup v1 ${controller} is writable` };
    }
  } catch (error) {
    found = {
      root: null,
      reason: `cgroup v1 ${controller} is not writable here (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    };
  }
  probed.set(controller, found);
  return found;
}

export const probeFreezer = (): { root: string | null; reason: string } => probeController('freezer');
export const probePids = (): { root: string | null; reason: string } => probeController('pids');

let sequence = 0;
/** Two copies of this module in one process (two builds side by side) must not name the same group. */
const MODULE_NONCE = randomBytes(3).toString('hex');
const FREEZE_WAIT_ROUNDS = 200;

function writeState(dir: string, state: 'FROZEN' | 'THAWED'): boolean {
  try {
    fs.writeFileSync(path.join(dir, 'freezer.state'), state);
    return true;
  } catch {
    return false;
  }
}

/** Freezes the group, SIGKILLs every member (but `spare`), thaws it so the kills land; repeats until it is empty. */
export function killGroup(dir: string, spare?: number): void {
  // Nothing but the spared process (predict's counter, unregistering its tracepoints in the kernel):
  // nothing to kill, and no freeze, which would wait for it there.
  if (spare !== undefined && membersBut(dir, spare) === 0) return;
  for (let round = 0; round < 100; round++) {
    const frozen = writeState(dir, 'FROZEN');
    if (frozen) {
      // FREEZING until every member stopped; a member in an uninterruptible sleep may take a moment.
      for (let wait = 0; wait < FREEZE_WAIT_ROUNDS; wait++) {
        try {
          if (fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim() !== 'FREEZING') break;
        } catch {
          break;
        }
      }
    }
    const killed = killMembers(dir, spare);
    if (frozen) writeState(dir, 'THAWED');
    if (killed === 0) return;
  }
}

/** Where a run's group goes: the freezer hierarchy (to kill it all) and the pids one (its process limit), either or both. */
export interface ContainmentHierarchies {
  freezer: string | null;
  pids: { root: string; max: number } | null;
}

/** One run's group, in each hierarchy given; reused by the next run of the same backend. */
export class ContainmentGroup {
  /** The directories the command joins, one per hierarchy. */
  readonly dirs: string[];
  /** Where its members are listed, frozen and killed: the freezer's directory when there is one. */
  readonly dir: string;
  /** The freezer's directory, or null (a group in the pids hierarchy alone). */
  readonly freezerDir: string | null;
  private readonly roots: string[];
  private readonly relative: string;
  /** Unregisters the signal's removal of the group (registerTeardown), once remove() did it. */
  private readonly unregister: () => void;

  constructor({ freezer, pids }: ContainmentHierarchies) {
    this.relative = path.join(CGROUP_PARENT, `run-${ownerTag()}-c${MODULE_NONCE}${++sequence}`);
    this.roots = [freezer, pids?.root].filter((root): root is string => root !== null && root !== undefined);
    this.dirs = this.roots.map((root) => path.join(root, this.relative));
    // Kept between runs and removed at teardown, which SIGINT/SIGTERM/SIGHUP skip: the signal removes it then.
    this.unregister = registerTeardown(`cgroup ${this.relative}`, () => this.remove());
    for (const dir of this.dirs) fs.mkdirSync(dir);
    if (pids) fs.writeFileSync(path.join(pids.root, this.relative, 'pids.max'), String(pids.max));
    this.dir = this.dirs[0] ?? '';
    this.freezerDir = freezer === null ? null : this.dir;
  }

  /** Kills every member; `spare`, a process that must end by itself (predict's counter, unregistering its events), is left. */
  killAll(spare?: number): void {
    killGroup(this.dir, spare);
    for (const dir of this.dirs.slice(1)) killGroup(dir, spare);
  }

  async remove(): Promise<void> {
    if (await removeGroup(this.roots, this.relative)) this.unregister();
  }
}
