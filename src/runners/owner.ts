import fs from 'node:fs';
import os from 'node:os';

/**
 * Whether the process that made a container, a cgroup group, a pool's socket directory or a
 * sandbox root still runs (issue 23, finding 7). A PID alone does not say: the sweeper and the
 * owner may be in different PID namespaces (a runner under `unshare --pid`, a `gc` in a container
 * sharing the host's cgroupfs), where the same number is another process or none, and a PID is
 * reused. An owner is its PID, the start time of that process (field 22 of /proc/PID/stat) and its
 * PID namespace (the inode of /proc/PID/ns/pid); containers and directories also carry the boot id.
 *
 * `gone` only when that is proven: in the sweeper's namespace, no process with that PID and start
 * time; in another namespace, no process in /proc whose innermost PID (NSpid) and start time are the
 * owner's, while the sweeper sees every process (it is in the root PID namespace). Anything else
 * is `foreign`: left alone.
 */
/** A process that owns containers, groups or directories, as their labels, owner file or name record it. */
export interface ContainerOwner {
  pid: number;
  /** Start time of the process in clock ticks since boot (field 22 of /proc/<pid>/stat); null where unreadable. */
  start: string | null;
  /** /proc/sys/kernel/random/boot_id; null where unreadable. */
  bootId: string | null;
  host: string;
  /** The inode number of its PID namespace (/proc/<pid>/ns/pid); null where unreadable. */
  pidNamespace: string | null;
}

function readTrimmed(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Field 22 (starttime) of /proc/<pid>/stat, counted after the command name, which may hold spaces or parentheses. */
export function processStartTime(pid: number | 'self'): string | null {
  const stat = readTrimmed(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  return fields[19] ?? null;
}

/** The inode number of a process's PID namespace (`self` or a PID), or null when unreadable. */
export function pidNamespaceOf(pid: number | 'self'): string | null {
  try {
    return /^pid:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/ns/pid`))?.[1] ?? null;
  } catch {
    return null;
  }
}

let self: ContainerOwner | undefined;

/** This process as an owner (read once: none of it changes while the process runs). */
export function currentOwner(): ContainerOwner {
  self ??= {
    pid: process.pid,
    start: processStartTime(process.pid),
    bootId: readTrimmed('/proc/sys/kernel/random/boot_id'),
    host: os.hostname(),
    pidNamespace: pidNamespaceOf('self'),
  };
  return self;
}

/** Whether `pid` (of this PID namespace) runs and, when `start` is known, is still the process that started then. */
export function processAlive(pid: number, start: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else; only ESRCH means there is no such process.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (start === null) return true;
  // An unreadable /proc (hidepid) cannot prove the owner gone: keep what it owns.
  const now = processStartTime(pid);
  return now === null || now === start;
}

export interface OwnerProcess {
  pid: number;
  /** Start time in clock ticks since boot, or null when it was unreadable (the PID alone then). */
  start: string | null;
  /** The inode number of the owner's PID namespace. */
  pidNamespace: string;
}

export type Liveness = 'alive' | 'gone' | 'foreign';

/** The PIDs of a process in each namespace from /proc's down (the NSpid line), or the error code. */
function namespacePids(pid: string): string[] | string {
  try {
    const line = /^NSpid:\s*(.+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return line === undefined ? 'ENOENT' : line.trim().split(/\s+/);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'EIO';
  }
}

/** The root PID namespace's inode number (the kernel's PROC_PID_INIT_INO): its processes see every process. */
const ROOT_PID_NAMESPACE = String(0xeffffffc);

/**
 * Looks for the owner among every process visible in /proc: one whose innermost PID and start time
 * are the owner's (world-readable, unlike the namespace link of a process such as a VM's init) and
 * whose namespace, where it can be read, is the owner's.
 */
function probeOtherNamespace(owner: OwnerProcess, here: ContainerOwner): Liveness {
  let blind = false;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ids = namespacePids(name);
    if (typeof ids === 'string') {
      // Exited meanwhile: nothing to see. Hidden from us (hidepid): the owner cannot be ruled out.
      if (ids === 'EACCES' || ids === 'EPERM') blind = true;
      continue;
    }
    if (ids.at(-1) !== String(owner.pid)) continue;
    const start = processStartTime(Number(name));
    if (owner.start !== null && start !== null && start !== owner.start) continue;
    // An unreadable namespace link (a process we may not inspect): its PID and start time are the owner's.
    const ns = pidNamespaceOf(Number(name));
    if (ns === null || ns === owner.pidNamespace) return 'alive';
  }
  // Not among the processes: gone, if this process sees every process.
  return here.pidNamespace === ROOT_PID_NAMESPACE && !blind ? 'gone' : 'foreign';
}

/** Whether `owner` runs, as seen from `here` (this process). */
export function probeOwner(owner: OwnerProcess, here: ContainerOwner = currentOwner()): Liveness {
  if (here.pidNamespace === null) return 'foreign';
  if (owner.pidNamespace !== here.pidNamespace) return probeOtherNamespace(owner, here);
  if (owner.pid === here.pid && owner.start === here.start) return 'alive';
  return processAlive(owner.pid, owner.start) ? 'alive' : 'gone';
}

/**
 * The owner as part of a name (cgroup groups, sandbox roots): `PID.START.PIDNS`, so that a sweeper
 * can judge a directory that cannot hold an owner file. A start time or namespace that was
 * unreadable is 0, and such a name is never judged gone.
 */
export function ownerTag(owner: ContainerOwner = currentOwner()): string {
  return `${owner.pid}.${owner.start ?? 0}.${owner.pidNamespace ?? 0}`;
}

const TAG = /^([1-9]\d{0,9})\.(\d{1,20})\.([1-9]\d{0,19})$/;

/** The owner a tag names, or null (a malformed tag, or one without a namespace: not ours to judge). */
export function parseOwnerTag(tag: string): OwnerProcess | null {
  const match = TAG.exec(tag);
  if (!match) return null;
  const [, pid, start, pidNamespace] = match as unknown as [string, string, string, string];
  return { pid: Number(pid), start: start === '0' ? null : start, pidNamespace };
}
