import fs from 'node:fs';
import os from 'node:os';

/**
 * Who owns a container: labels put on every container this package creates, so that a later
 * process (the next `prepare()` of a Docker backend, or `sandbox-perf gc`) can tell a container
 * whose creator died (SIGKILL, OOM kill, power loss) from one still in use, and remove it.
 *
 * A process is identified by its PID, its start time (so a recycled PID is not mistaken for the
 * owner), the boot id (a PID from before a reboot means nothing) and the host name (a process on
 * another machine, or in another container sharing the engine, is none of our business: its PIDs
 * are not ours to probe).
 */
/** Label on every container this package creates (its value names the run), so leftovers can be found. */
export const CONTAINER_LABEL = 'sandbox-perf';
export const OWNER_PID_LABEL = 'sandbox-perf.owner-pid';
export const OWNER_START_LABEL = 'sandbox-perf.owner-start';
export const OWNER_BOOT_LABEL = 'sandbox-perf.owner-boot-id';
export const OWNER_HOST_LABEL = 'sandbox-perf.owner-host';

export interface ContainerOwner {
  pid: number;
  /** Start time of the process in clock ticks since boot (field 22 of /proc/<pid>/stat); null where unreadable. */
  start: string | null;
  /** /proc/sys/kernel/random/boot_id; null where unreadable. */
  bootId: string | null;
  host: string;
}

/**
 * `alive`: the owner runs; `gone`: it died or the machine rebooted since (the container is an
 * orphan); `foreign`: created on another host or PID namespace; `unknown`: no owner labels (made by
 * a version of sandbox-perf before them, or by hand). Only `gone` containers are removed.
 */
export type OwnerState = 'alive' | 'gone' | 'foreign' | 'unknown';

function readTrimmed(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Field 22 (starttime) of /proc/<pid>/stat, counted after the command name, which may hold spaces or parentheses. */
export function processStartTime(pid: number): string | null {
  const stat = readTrimmed(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  return fields[19] ?? null;
}

let self: ContainerOwner | undefined;

/** This process as an owner (read once: none of it changes while the process runs). */
export function currentOwner(): ContainerOwner {
  self ??= {
    pid: process.pid,
    start: processStartTime(process.pid),
    bootId: readTrimmed('/proc/sys/kernel/random/boot_id'),
    host: os.hostname(),
  };
  return self;
}

/** The labels naming `owner` (this process by default), to merge into a container's Labels. */
export function ownerLabels(owner: ContainerOwner = currentOwner()): Record<string, string> {
  return {
    [OWNER_PID_LABEL]: String(owner.pid),
    [OWNER_START_LABEL]: owner.start ?? '',
    [OWNER_BOOT_LABEL]: owner.bootId ?? '',
    [OWNER_HOST_LABEL]: owner.host,
  };
}

/** Whether `pid` runs and, when `start` is known, is still the process that started then. */
export function processAlive(pid: number, start: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else; only ESRCH means there is no such process.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (start === null) return true;
  // An unreadable /proc (hidepid) cannot prove the owner gone: keep its containers.
  const now = processStartTime(pid);
  return now === null || now === start;
}

/**
 * What a container's labels say about its owner, seen from `here` (this process and machine).
 * `isAlive` probes a PID of this machine (injected so the decision is testable without processes).
 */
export function ownerState(
  labels: Readonly<Record<string, string>> | undefined,
  here: ContainerOwner = currentOwner(),
  isAlive: (pid: number, start: string | null) => boolean = processAlive,
): OwnerState {
  const pidLabel = labels?.[OWNER_PID_LABEL];
  if (labels === undefined || pidLabel === undefined || !/^[1-9]\d{0,9}$/.test(pidLabel)) return 'unknown';
  if (labels[OWNER_HOST_LABEL] !== here.host) return 'foreign';
  const bootId = labels[OWNER_BOOT_LABEL] || null;
  if (bootId !== null && here.bootId !== null && bootId !== here.bootId) return 'gone';
  const pid = Number(pidLabel);
  if (pid === here.pid && (labels[OWNER_START_LABEL] || null) === here.start) return 'alive';
  return isAlive(pid, labels[OWNER_START_LABEL] || null) ? 'alive' : 'gone';
}

/** The owner labels in a JSON file of ours (a pool's socket directory, a working-directory layer), or null when it holds none well-formed. */
export function readOwnerFile(file: string): Record<string, string> | null {
  try {
    const stat = fs.lstatSync(file);
    if (!stat.isFile() || stat.size > 4096) return null;
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.every(([, v]) => typeof v === 'string') ? (Object.fromEntries(entries) as Record<string, string>) : null;
  } catch {
    return null;
  }
}
