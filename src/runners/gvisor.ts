import { HostBackend, type HostTool } from './HostBackend';
import type { SandboxOptions } from './types';

/**
 * gVisor `runsc do`: the command runs on gVisor's user-space kernel, which intercepts every
 * system call. The host filesystem is seen read-only under a tmpfs overlay, so writes (the
 * working directory's included) are discarded at the end of the run. No network unless
 * `network` (then the host's network namespace). Needs root.
 */
export const gvisorTool: HostTool = {
  name: 'gvisor',
  binary: 'runsc',
  install: 'apt-get install runsc',
  // `runsc do` passes standard input, output and error into the sandbox, no other descriptor.
  reportVia: 'stderr',
  // -ignore-cgroups: runsc would move its sandbox into a group of its own, out of the run's
  // group, and its CPU time, memory and limits would escape the run's accounting.
  wrap: (command, options) => [
    'runsc',
    '-ignore-cgroups',
    `-network=${options.network ? 'host' : 'none'}`,
    'do',
    '-cwd',
    options.cwd,
    '--',
    ...command,
  ],
};

export function createGvisorBackend(options?: SandboxOptions): HostBackend {
  return new HostBackend(gvisorTool, options);
}
