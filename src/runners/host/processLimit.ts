import os from 'node:os';
import { logOnce } from '../../log';
import { probePids } from './containmentGroup';

/**
 * How a host backend holds a run to `pidsLimit` tasks (issue 23, finding 4: 1 500 of 1 500 forks
 * succeeded on unshare and bubblewrap). RLIMIT_NPROC does not bind there: the sandbox's uid is the
 * caller's outside, and the kernel exempts uid 0 of the initial namespace from it. What does:
 *
 * - the run's own PID namespace, on a kernel that gives each PID namespace its own `pid_max`
 *   (Linux 6.14): written from inside it, before the command starts, it bounds every task of the
 *   namespace and of the namespaces below it (bubblewrap's), at no cost but an `echo`. The kernel
 *   hands out the PIDs below 300 (RESERVED_PIDS) only until the namespace's counter first wraps,
 *   so `pid_max` is `pidsLimit + 300`: between `pidsLimit` and `pidsLimit + 299` tasks at once,
 *   and never fewer than `pidsLimit`;
 * - otherwise a cgroup v1 `pids` group with `pids.max` (root), joined as `none` joins its freezer
 *   group; that join makes the forks after it slower (see "CPU time and peak memory").
 *
 * gVisor bounds its own tasks: RLIMIT_NPROC of the command's user, who is not root inside it.
 */
const RESERVED_PIDS = 300;

/** Whether this kernel keeps a `pid_max` per PID namespace (Linux 6.14 and later). */
export function pidMaxPerNamespace(release: string = os.release()): boolean {
  const [major = 0, minor = 0] = release.split(/[.-]/, 2).map(Number);
  return major > 6 || (major === 6 && minor >= 14);
}

/** The `pid_max` that lets a PID namespace hold `pidsLimit` tasks (see above). */
export function namespacePidMax(pidsLimit: number): number {
  return pidsLimit + RESERVED_PIDS;
}

/**
 * The `pids` hierarchy and limit for the runs of a backend that does not hold its tasks itself, or
 * null (said once) where no `pids` group can be made here: the limit is then not enforced.
 */
export function pidsGroupLimit(backend: string, pidsLimit: number): { root: string; max: number } | null {
  const pids = probePids();
  if (pids.root !== null) return { root: pids.root, max: pidsLimit };
  logOnce(new Error(pids.reason), `${backend}: no process limit here, pidsLimit ${pidsLimit} is not enforced`);
  return null;
}
