import { HostBackend, PDEATHSIG_PREFIX, type HostTool } from './HostBackend';
import type { SandboxOptions } from '../types';

/** The bare command: what `none` falls back to without util-linux's setpriv. */
const bareTool: HostTool = {
  name: 'none',
  install: 'nothing to install',
  contain: true,
  probe: false,
  wrap: (command) => [...command],
};

/**
 * The baseline, NOT an isolation: the command runs as the caller, with the caller's capabilities,
 * file system, sockets, devices and network. Only its processes are contained, so that a run ends
 * when it ends: where cgroup v1 is writable (root) every process of the run is in a freezer group
 * of its own, killed at the timeout and at the end (setsid or double-forked escapes included); the
 * command dies with the runner (setpriv's parent-death signal). Without cgroups, only its process
 * group is killed: a process that left it (setsid) survives the run.
 */
export const noneTool: HostTool = {
  name: 'none',
  binary: 'setpriv',
  install: 'apt-get install util-linux',
  contain: true,
  // setpriv being installed is enough: a real start would cost the baseline's prepare for nothing.
  probe: false,
  // The launcher passes its parent-death signal on to the command (set between vfork and exec), so
  // one setpriv in front of it is enough: nothing but the command's own exec is timed.
  wrap: (command) => [...PDEATHSIG_PREFIX, ...command],
  fallback: bareTool,
};

export function createNoneBackend(options?: SandboxOptions): HostBackend {
  return new HostBackend(noneTool, options);
}
