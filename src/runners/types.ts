import type { PoolOptions } from './pool/poolOptions';
import type { SandboxOutcome } from '../sandbox/types';
import type { BackendName } from './backends';
import type { KeepReport } from './workdir/keepOutputs';
import type { WorkdirMode } from './workdir/workdirOptions';
import type { GvisorRoot } from './options';

export type { BackendName } from './backends';

/** How a sandbox is set up; fixed when the backend is created, the same for each of its runs. */
export interface SandboxOptions {
  /**
   * Working directory of the command, seen in the sandbox at the same path (how: `workdir`).
   * @default process.cwd()
   */
  cwd?: string;
  /**
   * How the command sees the working directory: `'rw'` the host's directory, writable (what it
   * writes lands in the host's files, including files the host runs later: `node_modules/.bin`,
   * `.git/hooks`, this package's own files); `'overlay'` a copy-on-write view (its writes land in
   * a layer of its own, discarded after the run but for `keep`; needs root); `'ro'` read-only.
   * What each backend makes of it: docs/runners.md, "The working directory".
   * @default 'rw'
   */
  workdir?: WorkdirMode;
  /**
   * With `workdir: 'overlay'`: paths relative to the working directory whose files the run wrote
   * are copied back after each run (regular files and directories; symbolic links, FIFOs and
   * devices are neither followed nor copied; removals are not copied back).
   * @default []
   */
  keep?: readonly string[];
  /**
   * Variables added to the minimal environment (see `sandboxEnv`), identical for every backend.
   * @default {}
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Give the command network access. Off, it gets an empty network namespace (`none` cannot
   * isolate the network and always has the host's).
   * @default false
   */
  network?: boolean;
  /** Memory limit, bytes (at least 6 MiB, Docker's minimum). Docker, or cgroup v1 on the host. @default no limit */
  memoryBytes?: number;
  /** CPU limit in CPUs, e.g. `0.5` (CFS quota). Docker, or cgroup v1 on the host. @default no limit */
  cpus?: number;
  /**
   * Tasks (processes and threads) a run may hold: a fork bomb gets `EAGAIN`. Docker's `PidsLimit`;
   * on unshare and bubblewrap the pid_max of the run's own PID namespace (Linux 6.14 and later;
   * see "Limits" in docs/runners.md for what the kernel's reserved PIDs add); RLIMIT_NPROC of the
   * command's user inside gVisor; a cgroup v1 `pids` group on `none` (root). 1 to 4 194 000.
   * @default 512
   */
  pidsLimit?: number;
  /** Size of each private tmpfs (`/tmp`, `/dev/shm`), bytes, at least 1 MiB. @default 536870912 (512 MiB) */
  tmpSizeBytes?: number;
  /**
   * Run host-process backends (`none`, `unshare`, `bubblewrap`, `gvisor`) in a cgroup v1 group when
   * the host allows it: CPU time and peak memory are then accounted, limits enforced and every
   * process of the run killed at its end. Off by default without limits because joining a group
   * costs each run about 20 ms here (forks after a cgroup migration take the kernel's slow path),
   * which would inflate the baseline. Docker backends account through their own groups regardless.
   * @default true when `memoryBytes` or `cpus` is set, else false
   */
  cgroups?: boolean;
  /**
   * Sizing of `docker-pool`, `gvisor-pool` and `runc-pool` (ignored by the other backends).
   * @default { size: 2, maxSandboxes: 2 × size, acquireTimeoutMs: 60000, refillConcurrency: 2 }
   */
  pool?: PoolOptions;
  /** Docker image of the Docker backends (`docker`, `docker-warm`, the pools). @default process.env.SANDBOX_PERF_DOCKER_IMAGE ?? 'sandbox-perf/node:local' */
  image?: string;
  /**
   * What `gvisor` runs the command from: `'host'`, the host's whole root read-only (`runsc do`'s
   * own), or `'image'`, the root of `image` (exported once per image id), as `gvisor-pool` does:
   * the same program and libraries from the same files, so that gvisor-pool's saving is the pool's
   * alone. The image has only what it was built with (node, sh, a few tools). See docs/runners.md,
   * "Fair comparisons". Ignored by the other backends.
   * @default 'host'
   */
  gvisorRoot?: GvisorRoot;
  /** Docker Engine socket. @default the path in DOCKER_HOST (unix://…) or /var/run/docker.sock */
  dockerSocket?: string;
}

/** What may change from one run to the next. */
export interface RunOptions {
  /** The run is killed (outcome `'timeout'`) after this many milliseconds. @default 300000 */
  timeoutMs?: number;
  /** Bytes kept of stdout and of stderr each; the rest is dropped (`stdoutTruncated`). @default 1048576 */
  maxOutputBytes?: number;
  /**
   * Called with every chunk of the command's output as it arrives, before `maxOutputBytes` is
   * applied: the way to pass output through without a cap (`sandbox-perf run` does). A throw is
   * logged once and ignored. @default undefined
   */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** What a run produced. */
export interface SandboxResult {
  backend: BackendName;
  outcome: SandboxOutcome;
  /** The command's exit code; null when it was killed by a signal or never started. */
  exitCode: number | null;
  /** The signal that ended it (e.g. `SIGKILL` after a timeout), else null. */
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** Phase name → milliseconds, in the order they happened. */
  phases: Record<string, number>;
  /** User + system CPU time of everything the run started, where accountable (cgroup v1), else null. */
  cpuMs: number | null;
  /** Peak memory of everything the run started, where accountable (cgroup v1), else null. */
  peakMemoryBytes: number | null;
  /**
   * User and system CPU of the command (and the descendants it waited for), from the launcher
   * timer's wait4 (ru_utime, ru_stime): what hyperfine reports as User and System. Null or absent
   * without the launcher.
   */
  cpuTimes?: { userMs: number; systemMs: number } | null;
  /** Why the run failed (`spawn nosuchcmd ENOENT`, `exited with code 2`, `timed out after 500 ms`), else null. */
  error: string | null;
  /**
   * The command's own time, from its process start to its exit, measured as close to it as the
   * backend allows (see `timer` and docs/runners.md); null or absent when it could not be measured.
   */
  commandMs?: number | null;
  /** How `commandMs` was measured: `launcher` (the C timer next to the command), `spawner` (`none`: the command is what the spawner timed), `docker-engine`, `node`. */
  timer?: string | null;
  /** With `workdir: 'overlay'` and `keep`: what was copied back, and what was not (and why). */
  kept?: KeepReport;
  /**
   * The runner's own work around the timed window, in no record: `setupMs` before the clock started
   * (the PATH check, the request, the child's fork, set-up and group joins), `teardownMs` after it
   * stopped (killing what the run left, draining its output, reading its accounting). Host
   * backends through the spawner; absent elsewhere.
   */
  untimed?: { setupMs: number; teardownMs: number } | null;
}

/**
 * A sandbox backend. `prepare` once (checks it can run, starts what is kept warm), `run` as often
 * as needed, `teardown` at the end. `run` reports failures of the command in its result and
 * throws only for bad arguments or when the backend was not prepared.
 */
export interface SandboxBackend {
  readonly name: BackendName;
  prepare(): Promise<void>;
  run(command: readonly string[], options?: RunOptions): Promise<SandboxResult>;
  teardown(): Promise<void>;
}
