import { HostBackend, type HostTool } from './HostBackend';
import type { SandboxOptions } from '../types';

/**
 * The baseline, NOT an isolation: the command runs as the caller, with the caller's capabilities,
 * file system, sockets, devices and network. Only its processes are contained, so that a run ends
 * when it ends: where cgroup v1 is writable (root) every process of the run is in a freezer group
 * of its own, killed at the timeout and at the end (setsid or double-forked escapes included); the
 * command dies with the runner (the spawner's parent-death signal on it, or setpriv's without the
 * spawner). Without cgroups, only its process group is killed: a process that left it (setsid)
 * survives the run. Through the spawner the command is exec'd alone, the spawner being its timer.
 */
export const noneTool: HostTool = {
  name: 'none',
  install: 'nothing to install',
  contain: true,
  bare: true,
  // Nothing to start: a real start would cost the baseline's prepare for nothing.
  probe: false,
  wrap: (command) => [...command],
};

export function createNoneBackend(options?: SandboxOptions): HostBackend {
  return new HostBackend(noneTool, options);
}
