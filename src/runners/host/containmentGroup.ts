import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CGROUP_PARENT, killMembers, parseMounts, removeGroup } from './cgroupV1';
import { ownerTag } from '../owner';

/**
 * A cgroup v1 `freezer` group per run, for the backends whose processes nothing else contains
 * (`none`): every process the command starts is in it, a setsid or double-forked one included,
 * so that the run's end and its timeout can kill them all. The group is frozen before the kill,
 * so that nothing in it can fork meanwhile (a fork bomb cannot outrun the kill), then thawed for
 * the SIGKILLs to take effect. The freezer controller counts nothing: joining it costs the
 * migration alone, not the memory controller's charge moving. Needs root and a v1 freezer mount.
 */

let probed: { root: string | null; reason: string } | undefined;

/** The freezer hierarchy with this package's parent group in it, or null with the reason (cached). */
export function probeFreezer(): { root: string | null; reason: string } {
  if (probed) return probed;
  try {
    const root = parseMounts().byController.get('freezer');
    if (!root) {
      probed = { root: null, reason: 'no cgroup v1 freezer hierarchy is mounted' };
    } else {
      fs.mkdirSync(path.join(root, CGROUP_PARENT), { recursive: true });
      fs.accessSync(path.join(root, CGROUP_PARENT), fs.constants.W_OK);
      probed = { root, reason: 'cgroup v1 freezer is writable' };
    }
  } catch (error) {
    probed = { root: null, reason: `cgroup v1 freezer is not writable here (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  return probed;
}

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

/** Freezes the group, SIGKILLs every member, thaws it so the kills land; repeats until it is empty. */
export function killGroup(dir: string): void {
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
    const killed = killMembers(dir);
    if (frozen) writeState(dir, 'THAWED');
    if (killed === 0) return;
  }
}

/** One run's freezer group; reused by the next run of the same backend. */
export class ContainmentGroup {
  readonly dir: string;
  private readonly relative: string;

  constructor(private readonly root: string) {
    this.relative = path.join(CGROUP_PARENT, `run-${ownerTag()}-c${MODULE_NONCE}${++sequence}`);
    this.dir = path.join(root, this.relative);
    fs.mkdirSync(this.dir);
  }

  killAll(): void {
    killGroup(this.dir);
  }

  async remove(): Promise<void> {
    await removeGroup([this.root], this.relative);
  }
}
