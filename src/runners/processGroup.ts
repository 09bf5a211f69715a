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
