import fs from 'node:fs';
import path from 'node:path';
import { GUARD_IN_CONTAINER } from '../host/guard';

/**
 * A local engine's container seen from the host's /proc: its init (the socket guard's `--init`,
 * host/guard.ts) and the processes below it. When an exec's command exits, whatever it left running
 * is reparented to the container's init (the PID namespace's reaper), so at the end of a run the
 * init's descendants are exactly what the run left behind.
 */

/** Children of every thread of `pid` (a thread that forks is the child's parent). */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const task of tasks) {
    try {
      for (const child of fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ')) {
        if (child.trim() !== '') children.push(Number(child));
      }
    } catch {
      // The thread exited meanwhile.
    }
  }
  return children;
}

/** Every process below `pid`, breadth first, leaving out the subtrees rooted at `except`. */
export function descendantsOf(pid: number, except: ReadonlySet<number> = new Set()): number[] {
  const found: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of childrenOf(next)) {
      if (except.has(child)) continue;
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * Whether host PID `pid` is a container's init of the socket guard on this machine (its command
 * name, cut to 15 characters): the engine may be elsewhere (a VM behind a forwarded socket), and
 * then the PID it reports means nothing here.
 */
export function isLocalGuardInit(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === path.basename(GUARD_IN_CONTAINER).slice(0, 15);
  } catch {
    return false;
  }
}

/** The PID namespace of `pid` (`pid:[4026532…]`), or null when it is gone. */
export function pidNamespace(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return null;
  }
}

/** SIGKILLs each PID; one that exited meanwhile is skipped. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Kills every process below `init` (a container's init, host PID) and waits until the init reaped
 * them; false when they could not be seen or did not go within `timeoutMs`. A process forked
 * between listing and killing is in the next listing (its parent, killed, forks no more). Only
 * processes still in the init's PID namespace are signalled (PIDs are allocated cyclically, so one
 * listed here may be another process's by the time it is killed).
 */
export async function killDescendants(init: number, timeoutMs: number): Promise<boolean> {
  const namespace = pidNamespace(init);
  const deadline = performance.now() + timeoutMs;
  for (let left = descendantsOf(init); left.length > 0; left = descendantsOf(init)) {
    if (performance.now() > deadline || namespace === null) return false;
    killAll(left.filter((pid) => pidNamespace(pid) === namespace));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return true;
}
