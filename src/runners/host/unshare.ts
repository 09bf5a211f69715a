import fs from 'node:fs';
import path from 'node:path';
import { HostBackend, type HostTool } from './HostBackend';
import { hostProgram } from './hostPrograms';
import { namespacePidMax, pidMaxPerNamespace } from './processLimit';
import { SANDBOX_PATH } from '../environment';
import { launcherStatus } from './launcher';
import { requireGuard, wrapGuard } from './guard';
import { isInside } from '../../pathReach';
import { DEVICES, requireRoot, SANDBOX_GID, SANDBOX_UID, type SandboxRoot } from './sandboxRoot';
import type { ResolvedSandboxOptions } from '../options';
import type { SandboxOptions } from '../types';

/** fstab fields escape white space and backslashes as octal, as getmntent reads them. */
function fstabField(value: string): string {
  return value.replace(/[\s\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * The mounts of the sandbox's root, in order, for one `mount --all --fstab`: the skeleton bound
 * read-only onto itself (so that it is a mount of its own in the private namespace), the host's
 * system directories read-only, a tmpfs /tmp and /dev/shm, a /proc of the new PID namespace, the
 * device nodes, and last the working directory, writable.
 */
export function sandboxFstab(root: SandboxRoot, options: ResolvedSandboxOptions, programs: readonly string[]): string {
  const r = root.rootfs;
  const lines: string[][] = [
    [r, r, 'none', 'bind,ro'],
    ...root.systemDirs.filter((d) => d.link === null).map((d) => [`/${d.name}`, path.join(r, d.name), 'none', 'bind,ro']),
    // Each bounded by `tmpSizeBytes` (issue 23, finding 4: 400 MB were written to /tmp without --memory).
    ['tmpfs', path.join(r, 'tmp'), 'tmpfs', `mode=1777,nosuid,nodev,size=${options.tmpSizeBytes}`],
    ['tmpfs', path.join(r, 'dev/shm'), 'tmpfs', `mode=1777,nosuid,nodev,noexec,size=${options.tmpSizeBytes}`],
    ['proc', path.join(r, 'proc'), 'proc', 'nosuid,nodev,noexec'],
    ...DEVICES.map((name) => [`/dev/${name}`, path.join(r, 'dev', name), 'none', 'bind']),
    // Recursive, as bubblewrap's --bind: a user namespace refuses a plain bind of a directory with a
    // mount below it (that mount is locked there; mount says "wrong fs type"), so a working
    // directory holding any mount point failed. The `ro` and `overlay` views have none below them.
    [options.cwd, path.join(r, options.cwd), 'none', 'rbind,X-mount.mkdir'],
    // The socket guard and the timer (issue 14's launcher), read-only, last so that they stay
    // read-only inside a writable working directory. Under /tmp (a tmpfs here) their folder is
    // bound, on a mount point made then (once for both).
    ...programs.map((program) => programMount(program, r, options.cwd)),
  ];
  const unique = [...new Set(lines.map((fields) => `${fields.map(fstabField).join(' ')} 0 0\n`))];
  return unique.join('');
}

/** The fstab line that binds a program (the guard, the launcher) read-only at its own path in the root `r`. */
function programMount(program: string, r: string, cwd: string): string[] {
  if (isInside(program, '/tmp') && !isInside(program, cwd)) {
    const dir = path.dirname(program);
    return [dir, path.join(r, dir), 'none', 'bind,ro,X-mount.mkdir'];
  }
  return [program, path.join(r, program), 'none', 'bind,ro'];
}

/**
 * Runs in the new namespaces as their root (mapped to the caller): mounts the sandbox's root, then
 * a second `unshare` maps the caller to uid/gid 65534 in a nested user namespace, chroots into that
 * root and execs the command, which starts with no capabilities (execve by a non-zero uid). The
 * script runs with the command's environment: mount and unshare come by their paths ($4, $5), and
 * mount gets the sandbox PATH (with the caller's, e.g. `/usr/local/bin:/usr/bin`, util-linux 2.38
 * failed the fstab's bind of a working directory /tmp: "wrong fs type"). First, when $6 is not
 * empty, it becomes the pid_max of the run's PID namespace (this shell is its first process, and the
 * kernel writes the writer's namespace's): the process limit (processLimit.ts).
 */
const SETUP_SCRIPT = `{ [ -z "$6" ] || echo "$6" > /proc/sys/kernel/pid_max; } || exit 125; PATH=${SANDBOX_PATH} "$4" --all --fstab "$1" || exit 125; root=$2; wd=$3; unshare=$5; shift 6; exec "$unshare" --map-user=${SANDBOX_UID} --map-group=${SANDBOX_GID} "--root=$root" "--wd=$wd" -- "$@"`;

/**
 * util-linux `unshare`, strict: new user, mount, PID (with its own /proc), IPC, UTS, cgroup and
 * (unless `network`) network namespaces. The command runs as uid/gid 65534 of a nested user
 * namespace, no capabilities, `no_new_privs`, chrooted into the SandboxRoot: the host's /usr,
 * /bin, /sbin, /lib* read-only, the vetted /etc copy, six device nodes, private /tmp and /proc;
 * the working directory is the only writable bind. Everything in the PID namespace dies when the
 * command ends, when unshare is killed (`--kill-child`), and when the runner dies (the spawner
 * kills unshare's process group; unshare's parent-death signal if the spawner dies).
 */
export const unshareTool: HostTool = {
  name: 'unshare',
  binary: 'unshare',
  install: 'apt-get install util-linux',
  strict: true,
  noNewPrivs: true,
  guarded: true,
  limitsTasks: pidMaxPerNamespace,
  setup(root, options) {
    const programs = [requireGuard('unshare'), launcherStatus().path].filter((file) => file !== null);
    // Each program's mount point: a file in the read-only skeleton, unless the working directory's
    // bind or the tmpfs /tmp provides it (see programMount).
    for (const program of programs) {
      if (isInside(program, '/tmp') || isInside(program, options.cwd)) continue;
      fs.mkdirSync(path.join(root.rootfs, path.dirname(program)), { recursive: true });
      fs.writeFileSync(path.join(root.rootfs, program), '');
    }
    fs.writeFileSync(path.join(root.dir, 'fstab'), sandboxFstab(root, options, programs), { mode: 0o644 });
  },
  wrap: (command, { options, root: maybeRoot, guard }) => {
    const root = requireRoot(maybeRoot);
    return [
      hostProgram('unshare'),
      '--map-root-user',
      '--mount',
      '--pid',
      '--fork',
      '--kill-child',
      '--ipc',
      '--uts',
      '--cgroup',
      ...(options.network ? [] : ['--net']),
      '--',
      '/bin/sh',
      '-c',
      SETUP_SCRIPT,
      'sandbox-perf-unshare',
      path.join(root.dir, 'fstab'),
      root.rootfs,
      options.cwd,
      // By their paths: the script runs with the command's environment, whose PATH is the caller's to set.
      hostProgram('mount'),
      hostProgram('unshare'),
      // The run's PID namespace holds its process limit, where the kernel keeps one per namespace (processLimit.ts).
      pidMaxPerNamespace() ? String(namespacePidMax(options.pidsLimit)) : '',
      wrapGuard(guard),
      ...command,
    ];
  },
};

export function createUnshareBackend(options?: SandboxOptions): HostBackend {
  return new HostBackend(unshareTool, options);
}
