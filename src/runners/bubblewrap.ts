import { HostBackend, STRICT_PREFIX, type HostTool } from './HostBackend';
import { requireRoot, SANDBOX_GID, SANDBOX_UID } from './sandboxRoot';
import type { SandboxOptions } from './types';

/**
 * bubblewrap, strict: every namespace unshared (the network too unless `network`), a user
 * namespace in which the command is uid/gid 65534 with no capabilities (bounding set empty too)
 * and `no_new_privs`; a read-only root holding only the host's /usr and its /bin, /sbin, /lib*
 * (bound read-only, or the same symlinks), the vetted /etc copy of the SandboxRoot, a private
 * /dev, /proc and tmpfs /tmp; the working directory is the only writable bind. A new session
 * (no TIOCSTI into the caller's terminal); the sandbox dies with bubblewrap, and bubblewrap with
 * the runner (`--die-with-parent`, and setpriv's parent-death signal).
 */
export const bubblewrapTool: HostTool = {
  name: 'bubblewrap',
  binary: 'bwrap',
  install: 'apt-get install bubblewrap',
  strict: true,
  wrap: (command, { options, root: maybeRoot }, launcher) => {
    const root = requireRoot(maybeRoot);
    return [
      ...STRICT_PREFIX,
      'bwrap',
      '--unshare-all',
      ...(options.network ? ['--share-net'] : []),
      '--unshare-user',
      '--uid',
      String(SANDBOX_UID),
      '--gid',
      String(SANDBOX_GID),
      '--hostname',
      'sandbox',
      ...root.systemDirs.flatMap(({ name, link }) =>
        link === null ? ['--ro-bind', `/${name}`, `/${name}`] : ['--symlink', link, `/${name}`],
      ),
      '--ro-bind',
      root.etc,
      '/etc',
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
      // The timer, read-only at its own path (after the mounts above).
      ...(launcher === undefined ? [] : ['--ro-bind', launcher, launcher]),
      '--chdir',
      options.cwd,
      '--remount-ro',
      '/',
      '--cap-drop',
      'ALL',
      '--die-with-parent',
      '--new-session',
      '--',
      ...command,
    ];
  },
};

export function createBubblewrapBackend(options?: SandboxOptions): HostBackend {
  return new HostBackend(bubblewrapTool, options);
}
