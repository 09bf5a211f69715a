import fs from 'node:fs';
import path from 'node:path';
import type Docker = require('dockerode');
import { expectation, ValidationError } from '../../validation';
import { launcherBind } from './dockerLauncher';
import { GUARD_IN_CONTAINER } from '../host/guard';
import type { SandboxUser } from '../cwdAccess';
import { CONTAINER_LABEL, ownerLabels } from './containerOwner';
import { envList } from '../environment';
import { dockerWorkdir, type DockerWorkdir } from './dockerWorkdir';
import type { ResolvedSandboxOptions } from '../options';

/** The unprivileged user of Debian images, used when the working directory belongs to root. */
export const NOBODY = 65534;

/**
 * The uid:gid a container runs as: never root. A non-root caller's own uid:gid (a command may do
 * what its caller may, no more). For a root caller, the owner of the working directory when that is
 * not root (so the directory stays writable and what the command writes keeps its owner), else
 * nobody (65534:65534), who can then write only where the directory's permissions let it: the
 * caller's files are never re-permissioned to make room. A group of 0 becomes nobody's group too.
 */
export function containerUser(cwd: string): string {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return `${uid}:${process.getgid?.() || NOBODY}`;
  const owner = fs.statSync(cwd);
  if (owner.uid === 0) return `${NOBODY}:${NOBODY}`;
  return `${owner.uid}:${owner.gid || NOBODY}`;
}

/** containerUser's uid and gid, as numbers. */
export function containerUserIds(cwd: string): SandboxUser {
  const [uid = NOBODY, gid = NOBODY] = containerUser(cwd).split(':').map(Number);
  return { uid, gid };
}

/**
 * A working directory that holds the engine's socket (`/`, `/run`, `/var/run`, a home with a rootless
 * engine…) would hand the engine, and so the host, to the command: refused with the socket named.
 */
export function assertSocketOutsideCwd(cwd: string, socket: string): void {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const dir = real(cwd);
  const relative = path.relative(dir, real(socket));
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) {
    throw new ValidationError(
      expectation('cwd', `a directory that does not contain the Docker socket ${socket} (it is bound writable into the sandbox)`, cwd),
    );
  }
}

/**
 * The container settings every container-based backend shares (docker, docker-warm, the pools):
 * same environment, working directory, limits, and the hardening a hostile command meets:
 * - no capabilities (`CapDrop: ALL`) and `no-new-privileges` (setuid binaries gain nothing);
 * - a non-root user (see containerUser);
 * - a read-only root file system; writable: the working directory (at the same path, by `workdir`:
 *   see dockerWorkdir.ts; the only host path in the container but for the read-only launcher
 *   binary) unless it is `ro`, a private tmpfs /tmp (nosuid, nodev, bounded; exec allowed,
 *   since the working directory is executable anyway and tools run helpers from /tmp) and /dev/shm;
 * - at most `pidsLimit` tasks; network `none` unless asked for; private IPC; /tmp and /dev/shm of
 *   `tmpSizeBytes` each (and no more than the memory limit: tmpfs pages are the container's memory);
 * - the engine's default seccomp profile and masked /proc paths (not weakened here), and in front
 *   of `command` the socket guard when one is given (host/guard.ts: no Unix socket can be made, so
 *   no host socket in the working directory can be reached; bound read-only);
 * - labels: `sandbox-perf=<labelValue>` and the owner's PID, start time, boot id and host.
 */
export function containerSpec(
  options: ResolvedSandboxOptions,
  command: readonly string[],
  cgroupParent: string | undefined,
  labelValue: string,
  programs: { launcher: string | null; guard: string | null } = { launcher: null, guard: null },
  workdir: DockerWorkdir = dockerWorkdir(options, null),
): Docker.ContainerCreateOptions {
  const tmpBytes = Math.min(options.memoryBytes ?? options.tmpSizeBytes, options.tmpSizeBytes);
  const { launcher, guard } = programs;
  return {
    Image: options.image,
    Cmd: guard === null ? [...command] : [GUARD_IN_CONTAINER, ...command],
    Env: envList(options.env),
    WorkingDir: options.cwd,
    User: containerUser(options.cwd),
    Labels: { [CONTAINER_LABEL]: labelValue, ...ownerLabels() },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: {
      // The output is read through the attach stream only. Docker's json-file log kept a second,
      // unbounded copy of it on the host's disk (a 200 MiB run: a 201 MB log; hostile trial
      // 2026-12-07), and dockerd's write of it was in the measured time.
      LogConfig: { Type: 'none', Config: {} },
      NetworkMode: options.network ? 'bridge' : 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      ReadonlyRootfs: true,
      IpcMode: 'private',
      PidsLimit: options.pidsLimit,
      ShmSize: tmpBytes,
      // A working directory at /tmp itself is bound instead (Docker refuses two mounts there).
      Tmpfs: options.cwd === '/tmp' ? {} : { '/tmp': `rw,nosuid,nodev,size=${tmpBytes},mode=1777` },
      // The working directory (by `workdir`: dockerWorkdir.ts), the socket guard and the timer (issue 14), read-only.
      Binds: [
        ...workdir.binds,
        ...(guard === null ? [] : [`${guard}:${GUARD_IN_CONTAINER}:ro`]),
        ...(launcher === null ? [] : [launcherBind(launcher)]),
      ],
      ...(workdir.mounts.length > 0 ? { Mounts: workdir.mounts } : {}),
      ...(options.memoryBytes !== undefined ? { Memory: options.memoryBytes, MemorySwap: options.memoryBytes } : {}),
      ...(options.cpus !== undefined ? { NanoCpus: Math.round(options.cpus * 1e9) } : {}),
      ...(cgroupParent !== undefined ? { CgroupParent: `/${cgroupParent}` } : {}),
    },
  };
}
