import { HostBackend, type HostTool } from './HostBackend';
import type { SandboxOptions } from './types';

/**
 * util-linux `unshare`: new user (mapped to root), pid (with its own /proc), mount and network
 * namespaces. The filesystem is the host's, writable as the caller could write it.
 */
export const unshareTool: HostTool = {
  name: 'unshare',
  binary: 'unshare',
  install: 'apt-get install util-linux',
  wrap: (command, options) => [
    'unshare',
    '--user',
    '--map-root-user',
    '--pid',
    '--fork',
    // Everything in the namespace dies with unshare, e.g. when a timeout kills it.
    '--kill-child',
    '--mount',
    '--mount-proc',
    ...(options.network ? [] : ['--net']),
    '--',
    ...command,
  ],
};

export function createUnshareBackend(options?: SandboxOptions): HostBackend {
  return new HostBackend(unshareTool, options);
}
