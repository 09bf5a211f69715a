import fs from 'node:fs';

/**
 * User and system CPU time of this process's finished children (cutime and cstime of
 * /proc/self/stat, what getrusage(RUSAGE_CHILDREN) reports and hyperfine shows as User/System).
 * The difference around one run is that run's CPU when the run's processes are our children and
 * are waited for: true of the host backends (none, unshare, bubblewrap, gvisor), not of Docker,
 * whose container is the daemon's child. Resolution is the kernel's USER_HZ tick (10 ms), so a
 * single short run reads 0 or 10 ms; the mean over many runs is what is reported.
 */
export interface CpuTimes {
  userMs: number;
  systemMs: number;
}

const USER_HZ = 100;

/** The children's CPU times so far, or null where /proc is not there to ask. */
export function childCpuTimes(statPath = '/proc/self/stat'): CpuTimes | null {
  let text: string;
  try {
    text = fs.readFileSync(statPath, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5) (cutime, cstime) are at 13 and 14 after the name and state.
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) return null;
  return { userMs: (cutime * 1000) / USER_HZ, systemMs: (cstime * 1000) / USER_HZ };
}

export function cpuDelta(before: CpuTimes | null, after: CpuTimes | null): CpuTimes | null {
  if (before === null || after === null) return null;
  return { userMs: after.userMs - before.userMs, systemMs: after.systemMs - before.systemMs };
}
