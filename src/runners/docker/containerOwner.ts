import fs from 'node:fs';
import { currentOwner, probeOwner, type ContainerOwner, type OwnerProcess, type Liveness } from '../owner';

/**
 * Who owns a container: labels put on every container this package creates, so that a later
 * process (the next `prepare()` of a Docker backend, or `sandbox-perf gc`) can tell a container
 * whose creator died (SIGKILL, OOM kill, power loss) from one still in use, and remove it.
 *
 * A process is identified by its PID, its start time (so a recycled PID is not mistaken for the
 * owner), its PID namespace (the same number is another process there), the boot id (a PID from
 * before a reboot means nothing) and the host name (a process on another machine, or in another
 * container sharing the engine, is none of our business: its PIDs are not ours to probe). How a
 * live owner is told apart is owner.ts's probeOwner.
 */
/** Label on every container this package creates (its value names the run), so leftovers can be found. */
export const CONTAINER_LABEL = 'sandbox-perf';
export const OWNER_PID_LABEL = 'sandbox-perf.owner-pid';
export const OWNER_START_LABEL = 'sandbox-perf.owner-start';
export const OWNER_BOOT_LABEL = 'sandbox-perf.owner-boot-id';
export const OWNER_HOST_LABEL = 'sandbox-perf.owner-host';
export const OWNER_PIDNS_LABEL = 'sandbox-perf.owner-pidns';

/**
 * `alive`: the owner runs; `gone`: it died or the machine rebooted since (the container is an
 * orphan); `foreign`: created on another host, or in a PID namespace whose processes this one
 * cannot see; `unknown`: no owner labels, or no PID namespace among them (made by hand, or by a
 * version of sandbox-perf before them: its PID alone proves nothing). Only `gone` containers are
 * removed.
 */
export type OwnerState = 'alive' | 'gone' | 'foreign' | 'unknown';

/** The labels naming `owner` (this process by default), to merge into a container's Labels. */
export function ownerLabels(owner: ContainerOwner = currentOwner()): Record<string, string> {
  return {
    [OWNER_PID_LABEL]: String(owner.pid),
    [OWNER_START_LABEL]: owner.start ?? '',
    [OWNER_BOOT_LABEL]: owner.bootId ?? '',
    [OWNER_HOST_LABEL]: owner.host,
    [OWNER_PIDNS_LABEL]: owner.pidNamespace ?? '',
  };
}

/**
 * What a container's labels say about its owner, seen from `here` (this process and machine).
 * `probe` tells whether a process of this machine runs (injected so the decision is testable
 * without processes).
 */
export function ownerState(
  labels: Readonly<Record<string, string>> | undefined,
  here: ContainerOwner = currentOwner(),
  probe: (owner: OwnerProcess, here: ContainerOwner) => Liveness = probeOwner,
): OwnerState {
  const pidLabel = labels?.[OWNER_PID_LABEL];
  if (labels === undefined || pidLabel === undefined || !/^[1-9]\d{0,9}$/.test(pidLabel)) return 'unknown';
  if (labels[OWNER_HOST_LABEL] !== here.host) return 'foreign';
  const bootId = labels[OWNER_BOOT_LABEL] || null;
  if (bootId !== null && here.bootId !== null && bootId !== here.bootId) return 'gone';
  const pidNamespace = labels[OWNER_PIDNS_LABEL];
  if (pidNamespace === undefined || !/^[1-9]\d{0,19}$/.test(pidNamespace)) return 'unknown';
  return probe({ pid: Number(pidLabel), start: labels[OWNER_START_LABEL] || null, pidNamespace }, here);
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
