import { CGROUP_PARENT } from '../host/cgroupV1';
import { GUARD_IN_CONTAINER } from '../host/guard';
import { LAUNCHER_IN_CONTAINER } from '../host/launcher';
import type { ResolvedSandboxOptions } from '../options';
import { AGENT_IN_CONTAINER } from '../pool/agentBinary';
import { AGENT_SOCKET_DIR } from '../pool/agentChannel';
import { AGENT_CAPABILITIES } from '../pool/agentSpec';
import type { WorkdirLayer } from '../workdir/WorkdirLayer';
import type { ImageRoot } from './runcBundle';
import { runcSeccomp } from './runcSeccomp';

/** What one container needs besides the options: its own paths and its process. */
export interface RuncContainerParts {
  id: string;
  /** Its own host name (as Docker names a container after its id). */
  hostname: string;
  root: ImageRoot;
  /** The process: the guard, the agent and its arguments (agentScript's agentCommand). */
  args: readonly string[];
  /** The host directory holding the agent's socket (bound read-only at AGENT_SOCKET_DIR). */
  agentDir: string;
  guard: string;
  /** The launcher's host path, or null. */
  launcher: string | null;
  /** The C agent's host path (native/agent.c), or null for the Node agent. */
  agent: string | null;
  /** The working directory's layer in `overlay` mode, else null. */
  layer: WorkdirLayer | null;
}

/** Docker's masked and read-only /proc and /sys paths (moby's oci defaults). */
const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

function bind(source: string, destination: string, mode: 'rw' | 'ro', extra: readonly string[] = []): object {
  return { destination, type: 'bind', source, options: ['rbind', 'rprivate', 'nosuid', 'nodev', mode, ...extra] };
}

/**
 * The working directory at its own path, by mode: the host's directory (rw, ro) or the sandbox's
 * overlay layer. Read-only, it is read-only all the way down (`rro`: mount_setattr's recursive
 * read-only, Linux 5.12; runc 1.1, crun 1.4): an rbind's `ro` makes only its top read-only, so a
 * file system mounted below the working directory stayed writable in `ro` (as Docker's `:ro`).
 */
function workdirMount(options: ResolvedSandboxOptions, layer: WorkdirLayer | null): object {
  // `rro` on the working directory only: crun refuses it on a file bind ("open mount target … Not a directory").
  if (options.workdir !== 'overlay') return bind(options.cwd, options.cwd, options.workdir, options.workdir === 'ro' ? ['rro'] : []);
  if (layer === null) throw new Error('sandbox-perf: a runc-pool overlay sandbox was configured without its layer');
  return { destination: options.cwd, type: 'overlay', source: 'overlay', options: layer.mountOptions.split(',') };
}

/**
 * The OCI runtime configuration (config.json) of one runc-pool container: docker-pool's settings
 * (containerSpec.ts, agentSpec.ts) written for runc itself. Read-only root (the image's, exported
 * once: runcBundle.ts); the agent as uid 0 with only AGENT_CAPABILITIES (bounding, effective and
 * permitted; none inheritable or ambient), `noNewPrivileges`, behind the socket guard; new PID,
 * network (loopback only), IPC, UTS and mount namespaces; private tmpfs /tmp and /dev/shm of
 * `tmpSizeBytes` (bounded by the memory limit, as Docker's); the pids cgroup at `pidsLimit`;
 * memory and CPU limits when asked; Docker's masked and read-only paths; the seccomp profile of
 * runcSeccomp.ts. Its cgroups are `sandbox-perf/<id>` in each hierarchy: the id carries the owner's
 * tag, so the host backends' sweep (orphans.ts) recognises a dead owner's groups as well.
 */
export function runcConfig(options: ResolvedSandboxOptions, parts: RuncContainerParts): object {
  const tmpBytes = Math.min(options.memoryBytes ?? options.tmpSizeBytes, options.tmpSizeBytes);
  const tmpfs = (destination: string, extra: string[]): object => ({
    destination,
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'nodev', `size=${tmpBytes}`, 'mode=1777', ...extra],
  });
  const caps = AGENT_CAPABILITIES.map((cap) => `CAP_${cap}`);
  const env = new Map<string, string>();
  for (const entry of [...parts.root.env, ...Object.entries(options.env).map(([k, v]) => `${k}=${v}`)]) {
    const at = entry.indexOf('=');
    if (at > 0) env.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [...parts.args],
      env: [...env].map(([k, v]) => `${k}=${v}`),
      cwd: options.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      noNewPrivileges: true,
      oomScoreAdj: 0,
    },
    root: { path: parts.root.rootfs, readonly: true },
    hostname: parts.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', `size=${tmpBytes}`, 'mode=1777'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
      // A working directory at /tmp itself is mounted there instead (as Docker's backends do).
      ...(options.cwd === '/tmp' ? [] : [tmpfs('/tmp', [])]),
      workdirMount(options, parts.layer),
      bind(parts.guard, GUARD_IN_CONTAINER, 'ro'),
      ...(parts.launcher === null ? [] : [bind(parts.launcher, LAUNCHER_IN_CONTAINER, 'ro')]),
      ...(parts.agent === null ? [] : [bind(parts.agent, AGENT_IN_CONTAINER, 'ro')]),
      bind(parts.agentDir, AGENT_SOCKET_DIR, 'ro'),
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      cgroupsPath: `/${CGROUP_PARENT}/${parts.id}`,
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        pids: { limit: options.pidsLimit },
        ...(options.memoryBytes !== undefined ? { memory: { limit: options.memoryBytes, swap: options.memoryBytes } } : {}),
        ...(options.cpus !== undefined ? { cpu: { quota: Math.round(options.cpus * 100_000), period: 100_000 } } : {}),
      },
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
      seccomp: runcSeccomp(),
    },
  };
}
