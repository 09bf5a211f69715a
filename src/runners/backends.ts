import { createBubblewrapBackend, bubblewrapTool } from './host/bubblewrap';
import { createGvisorBackend, gvisorTool } from './host/gvisor';
import { createNoneBackend, noneTool } from './host/none';
import { createUnshareBackend, unshareTool } from './host/unshare';
import { createDockerBackend } from './docker/DockerBackend';
import { createDockerWarmBackend } from './docker/DockerWarmBackend';
import { ENABLE_DOCKER } from './docker/dockerEngine';
import { ENABLE_RUNSC } from './pool/poolBackends';
import { ENABLE_RUNC } from './runc/runcCli';
import { createPoolBackend, SandboxPool } from './pool/SandboxPool';
import type { SandboxBackend, SandboxOptions } from './types';
import type { ResolvedSandboxOptions } from './options';

/**
 * Everything the rest of the code asks about a backend, in one entry per backend. The backend
 * name type, createBackend's factories, compare's CPU accounting, the mitigation pairs, the
 * canary's candidates, the CLI's lists and detectBackends() are all read from this table: a new
 * backend is its module plus its entry here. Readers derive what they need when they load, so a
 * table with one more entry (the registry test mocks this module) reaches all of them.
 */
export interface BackendEntry {
  readonly name: string;
  /** The folder it lives in: host tools, the Docker engine, pools of fresh containers (runc-pool's runc parts: runners/runc/). */
  readonly family: 'host' | 'docker' | 'pool';
  /** A backend with these options, validated; nothing is started until `prepare`. */
  readonly create: (options?: SandboxOptions) => SandboxBackend;
  /** Every run gets a sandbox no earlier run touched (docker-warm reuses one container). */
  readonly freshPerRun: boolean;
  /** The backend whose start-up cost this one cuts with the same isolation (compare's mitigation pairs), or null. */
  readonly mitigates: string | null;
  /** The canary may pick it when no backends are given: it needs nothing kept running between rounds. */
  readonly canary: boolean;
  /**
   * Where a run's CPU time is read: `children` when the run is a child process of this one (its
   * rusage of reaped children), `cgroup` when it runs under the Docker daemon (the run's `cpuMs`).
   */
  readonly cpu: 'children' | 'cgroup';
  /**
   * Who counts the CPU a run reports, where it is not the host's kernel: gVisor's runs report what
   * the launcher's `wait4` gets inside the sandbox, the Sentry's own count of its tasks' time,
   * which is not the host CPU the sandbox used (tsc: 5.3 s user against 4.0 CPU-seconds the host
   * saw busy, docs/calibration.md). Absent: the host kernel's count.
   */
  readonly cpuCountedBy?: string;
  /**
   * The kernel the command's system calls go to, where it is not the host's: gVisor's Sentry, on
   * its ptrace platform here. predict warns that its prediction for such a backend is a lower
   * bound for a threaded command (calibrate/threadsCaveat.ts). Absent: the host's kernel.
   */
  readonly kernel?: 'gVisor';
  /**
   * With `workdir: 'rw'`, what the run writes in the working directory lands in the host's files,
   * those the host executes later included (the guarantee table's row; gVisor's `runsc do` keeps
   * every write in its memory). In `overlay` and `ro` no backend's run changes them.
   */
  readonly rwReachesHost: boolean;
  /**
   * The root file system the command runs from, and so resolves its program in: the host's (`none`
   * sees it whole, unshare and bubblewrap a read-only skeleton of its `/usr`, `/bin`, `/lib*`, gVisor
   * all of it read-only) or the Docker image's (gvisor: either, by its `gvisorRoot` option). compare
   * records it per backend (resolveCommand.ts).
   */
  readonly root: 'host' | 'image' | ((options: ResolvedSandboxOptions) => 'host' | 'image');
  /** The one command that makes it available when it is missing. */
  readonly enable: string;
  /**
   * What detectBackends() does with a fresh backend of this entry to see it works here: by default
   * `prepare` then `teardown`, as a run would use it.
   */
  readonly check?: (backend: SandboxBackend, options: SandboxOptions) => Promise<void>;
}

/** docker-warm is checked as docker is, without starting the container it keeps. */
async function checkAsDocker(_warm: SandboxBackend, options: SandboxOptions): Promise<void> {
  const docker = createDockerBackend(options);
  await docker.prepare();
  await docker.teardown();
}

/** A pool is checked without filling it: the engine, the image and its runtime. */
async function checkPool(pool: SandboxBackend): Promise<void> {
  if (!(pool instanceof SandboxPool)) throw new TypeError(`${pool.name} is not a pool`);
  await pool.check();
}

export const BACKENDS = [
  {
    name: 'none',
    family: 'host',
    create: createNoneBackend,
    freshPerRun: false,
    mitigates: null,
    canary: false,
    cpu: 'children',
    rwReachesHost: true,
    root: 'host',
    enable: noneTool.install,
  },
  {
    name: 'unshare',
    family: 'host',
    create: createUnshareBackend,
    freshPerRun: true,
    mitigates: null,
    canary: true,
    cpu: 'children',
    rwReachesHost: true,
    root: 'host',
    enable: unshareTool.install,
  },
  {
    name: 'bubblewrap',
    family: 'host',
    create: createBubblewrapBackend,
    freshPerRun: true,
    mitigates: null,
    canary: true,
    cpu: 'children',
    rwReachesHost: true,
    root: 'host',
    enable: bubblewrapTool.install,
  },
  {
    name: 'docker',
    family: 'docker',
    create: createDockerBackend,
    freshPerRun: true,
    mitigates: null,
    canary: true,
    cpu: 'cgroup',
    rwReachesHost: true,
    root: 'image',
    enable: ENABLE_DOCKER,
  },
  {
    name: 'docker-warm',
    family: 'docker',
    create: createDockerWarmBackend,
    freshPerRun: false,
    mitigates: 'docker',
    canary: false,
    cpu: 'cgroup',
    rwReachesHost: true,
    root: 'image',
    enable: ENABLE_DOCKER,
    check: checkAsDocker,
  },
  {
    name: 'docker-pool',
    family: 'pool',
    create: (options?: SandboxOptions) => createPoolBackend('docker-pool', options),
    freshPerRun: true,
    mitigates: 'docker',
    canary: false,
    cpu: 'cgroup',
    rwReachesHost: true,
    root: 'image',
    enable: ENABLE_DOCKER,
    check: checkPool,
  },
  {
    name: 'runc-pool',
    family: 'pool',
    create: (options?: SandboxOptions) => createPoolBackend('runc-pool', options),
    freshPerRun: true,
    mitigates: 'docker',
    canary: false,
    cpu: 'cgroup',
    rwReachesHost: true,
    root: 'image',
    enable: ENABLE_RUNC,
    check: checkPool,
  },
  {
    name: 'gvisor',
    family: 'host',
    create: createGvisorBackend,
    freshPerRun: true,
    mitigates: null,
    canary: true,
    cpu: 'children',
    cpuCountedBy: 'gVisor',
    kernel: 'gVisor',
    rwReachesHost: false,
    root: (options: ResolvedSandboxOptions) => options.gvisorRoot,
    enable: gvisorTool.install,
  },
  {
    name: 'gvisor-pool',
    family: 'pool',
    create: (options?: SandboxOptions) => createPoolBackend('gvisor-pool', options),
    freshPerRun: true,
    mitigates: 'gvisor',
    canary: false,
    cpu: 'cgroup',
    kernel: 'gVisor',
    rwReachesHost: true,
    root: 'image',
    enable: ENABLE_RUNSC,
    check: checkPool,
  },
] as const;
// Checked against BackendEntry where it is read (backendNames.ts): a `satisfies` here would make
// BackendName, which SandboxBackend's own type uses, depend on itself.

/** The sandbox backends, from no isolation to a user-space kernel. */
export type BackendName = (typeof BACKENDS)[number]['name'];
