import fs from 'node:fs';
import path from 'node:path';
import { HostBackend, type HostTool } from './HostBackend';
import { hostProgram, privateMountNamespace } from './hostPrograms';
import { assertSandboxUserCanEnter } from '../cwdAccess';
import { isInside } from '../../pathReach';
import { SANDBOX_GID, SANDBOX_UID } from './sandboxRoot';
import { gvisorImageRoot } from './gvisorImageRoot';
import type { ResolvedSandboxOptions } from '../options';
import type { SandboxOptions } from '../types';

/** With `gvisorRoot: 'image'`: the exported root of each prepared backend's options (set by `check`). */
const imageRoots = new WeakMap<ResolvedSandboxOptions, string>();

/**
 * In a private mount namespace, binds the working directory and the launcher into the image's root
 * at their own paths (gVisor's root then shows them as the host's root would), then execs runsc.
 * Arguments: the root, the working directory, the launcher or '', then runsc's line.
 */
const BIND_SCRIPT =
  'r=$1; w=$2; l=$3; shift 3; "$MOUNT" --bind "$w" "$r$w" || exit 125; if [ -n "$l" ]; then "$MOUNT" --bind -o ro "$l" "$r$l" || exit 125; fi; exec "$@"';

/** The argv that runs runsc's `line` over the image's root `root` (made ready for `cwd` and `launcher` here). */
function overImageRoot(root: string, cwd: string, launcher: string | undefined, line: readonly string[]): string[] {
  // Mount points inside the exported root: the working directory's path, the launcher's file.
  fs.mkdirSync(path.join(root, cwd), { recursive: true });
  if (launcher !== undefined && !fs.existsSync(path.join(root, launcher))) {
    fs.mkdirSync(path.dirname(path.join(root, launcher)), { recursive: true });
    fs.writeFileSync(path.join(root, launcher), '');
  }
  return [
    ...privateMountNamespace(),
    hostProgram('env'),
    `MOUNT=${hostProgram('mount')}`,
    hostProgram('sh'),
    '-c',
    BIND_SCRIPT,
    'sandbox-perf-image-root',
    root,
    cwd,
    launcher ?? '',
    ...line,
  ];
}

/**
 * Who the command runs as inside gVisor, which shows it the host's files with their owners: the
 * working directory's owner when that is not root (the same rule as the Docker backends), else
 * 65534. As 65534 in a root-owned working directory, that directory and the path to it must be
 * readable by others.
 */
export function gvisorUser(cwd: string): { uid: number; gid: number } {
  const stat = fs.statSync(cwd, { throwIfNoEntry: false });
  return stat && stat.uid !== 0 ? { uid: stat.uid, gid: stat.gid } : { uid: SANDBOX_UID, gid: SANDBOX_GID };
}

/**
 * Runs first inside gVisor, as its root, then execs setpriv (issue 23, finding 4): RLIMIT_NPROC of
 * `pidsLimit` (`ulimit -p`: root is exempt, the command's user is not, and it has no other process
 * in the sandbox), and a tmpfs of `tmpSizeBytes` on /tmp unless the working directory is under it
 * (the mount would hide it). runsc do has no /dev/shm. Arguments: pidsLimit, tmpSizeBytes, 1 to
 * mount /tmp, mount's path, then the command.
 */
const LIMITS_SCRIPT =
  'ulimit -p "$1" || exit 125; if [ "$3" = 1 ]; then "$4" -t tmpfs -o "mode=1777,nosuid,nodev,size=$2" tmpfs /tmp || exit 125; fi; shift 4; exec "$@"';

/**
 * gVisor `runsc do`: the command runs on gVisor's user-space kernel, which intercepts every system
 * call; no host Unix socket can be connected to (runsc's default `-host-uds=none`). The host file
 * system is seen read-only under a tmpfs overlay, so writes (the working directory's included)
 * are discarded at the end of the run. Inside, util-linux `setpriv` drops to gvisorUser() with
 * no capabilities (bounding and inheritable sets emptied) and `no_new_privs` before the command
 * starts. No network unless `network` (then the host's network namespace). Needs root. With
 * `gvisorRoot: 'image'` the root it sees is the image's, exported once (overImageRoot), not the host's.
 */
export const gvisorTool: HostTool = {
  name: 'gvisor',
  binary: 'runsc',
  install: 'apt-get install runsc',
  noNewPrivs: true,
  // `runsc do` passes standard input, output and error into the sandbox, no other descriptor.
  reportVia: 'stderr',
  check: async (options) => {
    assertSandboxUserCanEnter('gvisor', options.cwd, gvisorUser(options.cwd));
    if (options.gvisorRoot === 'image') imageRoots.set(options, await gvisorImageRoot(options));
  },
  // runsc do mounts the host's files read-only under an overlay in its memory, and runsc
  // 2022-12-19 cannot stat files on an overlayfs bind (EINVAL): every mode is gVisor's overlay.
  ownOverlay: true,
  limitsTasks: () => true,
  // -ignore-cgroups: runsc would move its sandbox into a group of its own, out of the run's
  // group, and its CPU time, memory and limits would escape the run's accounting.
  wrap: (command, { options }, launcher) => {
    const user = gvisorUser(options.cwd);
    const root = imageRoots.get(options);
    const line = [
      hostProgram('runsc'),
      '-ignore-cgroups',
      `-network=${options.network ? 'host' : 'none'}`,
      'do',
      ...(root === undefined ? [] : ['-root', root]),
      '-cwd',
      options.cwd,
      '--',
      '/bin/sh',
      '-c',
      LIMITS_SCRIPT,
      'sandbox-perf-limits',
      String(options.pidsLimit),
      String(options.tmpSizeBytes),
      isInside(options.cwd, '/tmp') ? '0' : '1',
      // Inside gVisor, which shows the host's files: the same absolute paths.
      hostProgram('mount'),
      hostProgram('setpriv'),
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
      ...command,
    ];
    return root === undefined ? line : overImageRoot(root, options.cwd, launcher, line);
  },
};

export function createGvisorBackend(options?: SandboxOptions): HostBackend {
  return new HostBackend(gvisorTool, options);
}
