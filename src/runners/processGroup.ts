import fs from 'node:fs';

/**
 * SIGKILLs the process group led by `pid` (a child spawned `detached`: a group of its own), every
 * process in it, not only the leader; nothing when there is no pid or the group is gone already.
 */
export function killProcessGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already empty.
  }
}

/** A process of a group, from /proc: its id, its parent's, and whether it is only a zombie. */
export interface GroupMember {
  pid: number;
  ppid: number;
  zombie: boolean;
}

/**
 * The processes whose process group is `pgid`, from `/proc/PID/stat` (`pid (comm) state ppid pgrp
 * …`: comm may hold spaces and parentheses, so read after the last ')'). A process that left the
 * group (setsid) is not in it.
 */
export function groupMembers(pgid: number): GroupMember[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const pid = Number(name);
    if (!Number.isInteger(pid)) return [];
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      return [];
    }
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(pgrp) === pgid ? [{ pid, ppid: Number(ppid), zombie: state === 'Z' }] : [];
  });
}
