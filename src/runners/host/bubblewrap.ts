import { HostBackend, type HostTool } from './HostBackend';
import { hostProgram } from './hostPrograms';
import { namespacePidMax, pidMaxPerNamespace } from './processLimit';
import { wrapGuard } from './guard';
import { requireRoot, SANDBOX_GID, SANDBOX_UID } from './sandboxRoot';
import type { SandboxOptions } from '../types';

/**
 * bubblewrap, strict: every namespace unshared (the network too unless `network`), a user
 * namespace in which the command is uid/gid 65534 with no capabilities (bounding set empty too)
 * and `no_new_privs`; a read-only root holding only the host's /usr and its /bin, /sbin, /lib*
 * (bound read-only, or the same symlinks), the vetted /etc copy of the SandboxRoot, a private
 * /dev, /proc and tmpfs /tmp; the working directory is the only writable bind. A new session
 * (no TIOCSTI into the caller's terminal); the sandbox dies with bubblewrap, and bubblewrap with
 * the runner (the spawner kills its process group; `--die-with-parent` and its parent-death
 * signal if the spawner dies; as root bwrap is also the init of its own PID namespace, see
 * OWN_PID_NAMESPACE).
 */
/**
 * As root, bwrap runs as the init of a PID namespace of its own (`unshare --pid --fork
 * --kill-child`): if bwrap is killed while its sandbox is still being set up (the runner SIGKILLed
 * in that window: 1 run in 10–20 when the kill lands in the first milliseconds), its child, which
 * waits on an eventfd for bwrap and has not yet armed `--die-with-parent`, would wait forever, an
 * orphan of the host's init. As the namespace's init, bwrap takes every process of the run with it.
 */
const OWN_PID_NAMESPACE = ['--pid', '--fork', '--kill-child', '--'] as const;

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * As root on a kernel with a pid_max per PID namespace, that namespace of bwrap's also holds the
 * run's process limit: its first process writes it, then execs bwrap (processLimit.ts). Never on an
 * older kernel: there, from the initial user namespace, the write would set the host's pid_max.
 */
const SET_PID_MAX = 'echo "$1" > /proc/sys/kernel/pid_max || exit 125; shift; exec "$@"';

function ownPidNamespace(pidsLimit: number): string[] {
  if (!isRoot()) return [];
  const limit = pidMaxPerNamespace() ? ['/bin/sh', '-c', SET_PID_MAX, 'sandbox-perf-pids', String(namespacePidMax(pidsLimit))] : [];
  return [hostProgram('unshare'), ...OWN_PID_NAMESPACE, ...limit];
}

export const bubblewrapTool: HostTool = {
  name: 'bubblewrap',
  binary: 'bwrap',
  install: 'apt-get install bubblewrap',
  strict: true,
  noNewPrivs: true,
  guarded: true,
  limitsTasks: () => isRoot() && pidMaxPerNamespace(),
  wrap: (command, { options, root: maybeRoot, guard: maybeGuard }, launcher) => {
    const root = requireRoot(maybeRoot);
    const guard = wrapGuard(maybeGuard);
    return [
      ...ownPidNamespace(options.pidsLimit),
      hostProgram('bwrap'),
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
      // Each private tmpfs bounded by `tmpSizeBytes` (issue 23, finding 4): /dev/shm its own, and the
      // tmpfs --dev makes, which the sandbox's user owns, read-only.
      '--dev',
      '/dev',
      '--perms',
      '1777',
      '--size',
      String(options.tmpSizeBytes),
      '--tmpfs',
      '/dev/shm',
      '--remount-ro',
      '/dev',
      '--proc',
      '/proc',
      '--size',
      String(options.tmpSizeBytes),
      '--tmpfs',
      '/tmp',
      // After the tmpfs, so that a working directory under /tmp stays visible.
      '--bind',
      options.cwd,
      options.cwd,
      // The socket guard and the timer, read-only at their own paths (after the mounts above).
      '--ro-bind',
      guard,
      guard,
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
      guard,
      ...command,
    ];
  },
};

export function createBubblewrapBackend(options?: SandboxOptions): HostBackend {
  return new HostBackend(bubblewrapTool, options);
}
