import { HostBackend, type HostTool } from './HostBackend';
import type { SandboxOptions } from './types';

/**
 * bubblewrap: the host root read-only, a private /dev and /proc, a tmpfs /tmp, the working
 * directory bound writable at the same path, every namespace unshared (the network too unless
 * `network`), a new session (no TIOCSTI into the caller's terminal) and death with its parent.
 */
export const bubblewrapTool: HostTool = {
  name: 'bubblewrap',
  binary: 'bwrap',
  install: 'apt-get install bubblewrap',
  wrap: (command, options, launcher) => [
    'bwrap',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    // After the tmpfs, so that a working directory under /tmp stays visible.
    '--bind',
    options.cwd,
    options.cwd,
    // The timer, read-only at its own path, whatever else of the host is visible (after the mounts above).
    ...(launcher === undefined ? [] : ['--ro-bind', launcher, launcher]),
    '--chdir',
    options.cwd,
    '--unshare-all',
    ...(options.network ? ['--share-net'] : []),
    '--die-with-parent',
    '--new-session',
    '--',
    ...command,
  ],
};

export function createBubblewrapBackend(options?: SandboxOptions): HostBackend {
  return new HostBackend(bubblewrapTool, options);
}
