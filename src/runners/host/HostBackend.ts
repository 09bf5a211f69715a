import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { probeCgroupV1, RunCgroup, type CgroupV1 } from './cgroupV1';
import { BackendUnavailableError, QuotaUnsupportedError, BackendNotPreparedError } from '../errors';
import { findExecutable, runHostProcess } from './hostProcess';
import { launcherForRun } from './launcher';
import { guardPath, requireGuard } from './guard';
import { acquireSpawner, releaseSpawner, type Spawner } from './Spawner';
import { layerAroundWindow, runSpawned } from './spawnedRun';
import { beforeEachRun, type CommandLine } from './commandLine';
import { hostProgram, pdeathsigPrefix, sandboxFailure, strictPrefix } from './hostPrograms';
import { assertCommand, resolveRunOptions, resolveSandboxOptions, type ResolvedSandboxOptions } from '../options';
import { SANDBOX_PATH } from '../environment';
import { log, logOnce } from '../../log';
import { SandboxRoot } from './sandboxRoot';
import { ContainmentGroup, probeFreezer } from './containmentGroup';
import { pidsGroupLimit } from './processLimit';
import { removeOrphans } from '../orphans';
import { openHostWorkdir, prepareHostWorkdir, workdirNamespace } from './workdirNamespace';
import type { BackendName, RunOptions, SandboxBackend, SandboxOptions, SandboxResult } from '../types';

/** What `wrap` may use: the resolved options and, for a `strict` tool, the sandbox's root. */
export interface WrapContext {
  options: ResolvedSandboxOptions;
  /** The strict sandbox's root skeleton, built by `prepare`; null for other tools. */
  root: SandboxRoot | null;
  /** The socket guard (guard.ts), for a `guarded` tool: the sandbox runs the command behind it; else null. */
  guard: string | null;
}

const execFileAsync = promisify(execFile);

let orphansCleaned: Promise<void> | undefined;

/**
 * Once per process, before its first host run: the groups a SIGKILLed runner left (with what
 * escaped into them still running) are emptied and removed. Never throws.
 */
function cleanOrphansOnce(): Promise<void> {
  orphansCleaned ??= removeOrphans({ cgroup: probeCgroupV1().value }).then((sweep) => {
    for (const failure of sweep.failures) logOnce(new Error(failure), 'sandbox-perf: could not remove an orphan');
    if (sweep.cgroupsRemoved.length > 0) log(`sandbox-perf: removed ${sweep.cgroupsRemoved.length} cgroup(s) left by runners that died`);
  });
  return orphansCleaned;
}

/** What a host-process backend needs: its tool, how to wrap a command, how to enable it. */
export interface HostTool {
  name: BackendName;
  /** The executable, looked up on the sandbox PATH; undefined for `none`. */
  binary?: string;
  /** The one command that installs the tool. */
  install: string;
  /** Needs a SandboxRoot (the minimal read-only root with its own /etc). */
  strict?: boolean;
  /** Runs the command behind the socket guard, bound into the sandbox (guard.ts): unavailable without it. */
  guarded?: boolean;
  /** Checks the options before anything starts (gvisor: its user can enter the working directory); throws why not. */
  check?(options: ResolvedSandboxOptions): void | Promise<void>;
  /** Writes what the tool needs beside the root (e.g. unshare's fstab), once, at prepare. */
  setup?(root: SandboxRoot, options: ResolvedSandboxOptions): void;
  /** Whether `prepare` starts one real sandbox (`true`) to check it works here. @default true */
  probe?: boolean;
  /** It holds a run to `pidsLimit` tasks itself (processLimit.ts); else the run joins a `pids` group. */
  limitsTasks?(): boolean;
  /** Its runs need a freezer group to contain their processes (nothing else does: `none`). */
  contain?: boolean;
  /** Runs the command itself, nothing in between (`none`): the spawner's window is the command's time. */
  bare?: boolean;
  /** Everything the sandbox runs gets `no_new_privs` (setuid files gain nothing). */
  noNewPrivs?: boolean;
  /**
   * The argv that runs `command` sandboxed (without setpriv: see pdeathsigPrefix). `launcher`,
   * when given, is the timer at the head of `command`: a tool that does not show the host's files
   * inside must make that file visible.
   */
  wrap(command: readonly string[], context: WrapContext, launcher?: string): string[];
  /**
   * How the launcher's report gets out: descriptor 3, or standard error for a sandbox that passes
   * no other descriptor in (`runsc do`). @default 'fd'
   */
  reportVia?: 'fd' | 'stderr';
  /**
   * Shows the command the host's files under an in-memory overlay of its own (`runsc do`): every
   * write, the working directory's included, is discarded whatever `workdir` says, and `keep` has
   * nothing to copy from.
   */
  ownOverlay?: boolean;
}

/**
 * A backend whose runs are host processes: `none`, `unshare`, `bubblewrap`, `gvisor`. `prepare`
 * checks the tool is installed and can start a sandbox here (one real run of `true`), and that
 * any limit asked for can be enforced.
 */
export class HostBackend implements SandboxBackend {
  readonly name: BackendName;
  readonly options: Readonly<ResolvedSandboxOptions>;
  private cgroup: CgroupV1 | null = null;
  private root: SandboxRoot | null = null;
  /** Groups not in use; a run takes one (or creates one) and gives it back. */
  private idleGroups: RunCgroup[] = [];
  private freezer: string | null = null;
  /** The pids hierarchy and limit of the runs' groups, for a tool that does not limit its tasks itself. */
  private pids: { root: string; max: number } | null = null;
  private idleContainment: ContainmentGroup[] = [];
  private prepared = false;
  /** The process's spawner, held from prepare to teardown; null: runs are started from Node. */
  private spawner: Spawner | null = null;
  /** Without the spawner: the prefix that gives the tool its parent-death signal (setpriv), when installed. */
  private nodePrefix: readonly string[] = [];
  /** keepRoot(): teardown leaves the root for a printed command line. */
  private rootKept = false;

  constructor(
    private readonly tool: HostTool,
    options: SandboxOptions = {},
  ) {
    this.name = tool.name;
    this.options = resolveSandboxOptions(options);
  }

  async prepare(): Promise<void> {
    const { options, tool } = this;
    if (!fs.existsSync(options.cwd) || !fs.statSync(options.cwd).isDirectory()) {
      throw new Error(`${this.name}: the working directory ${options.cwd} does not exist`);
    }
    await cleanOrphansOnce();
    const cgroup = probeCgroupV1();
    this.cgroup = options.cgroups ? cgroup.value : null;
    for (const quota of ['memoryBytes', 'cpus'] as const) {
      if (options[quota] !== undefined && this.cgroup === null) {
        throw new QuotaUnsupportedError(this.name, quota, options.cgroups ? cgroup.reason : 'the `cgroups` option is false');
      }
    }
    this.nodePrefix = tool.noNewPrivs ? strictPrefix() : findExecutable('setpriv', SANDBOX_PATH, options.cwd) ? pdeathsigPrefix() : [];
    try {
      await this.probe();
    } catch (error) {
      this.root?.remove();
      this.root = null;
      throw error;
    }
    this.pids = tool.limitsTasks?.() === true ? null : pidsGroupLimit(this.name, options.pidsLimit);
    // A pids group holds every process of the run as well: one join, not two (each slows the forks after it).
    this.freezer = tool.contain && this.pids === null ? probeFreezer().root : null;
    await prepareHostWorkdir(this.name, options, tool.ownOverlay === true);
    if (this.spawner === null) {
      this.spawner = await acquireSpawner().catch((error: unknown) => {
        logOnce(error, 'sandbox-perf: the spawner could not start; host runs are started and timed from Node');
        return null;
      });
    }
    this.prepared = true;
  }

  /** Checks the tool is installed and starts a sandbox here (one real run of `true`). */
  private async probe(): Promise<void> {
    const { options, tool } = this;
    if (tool.binary !== undefined && findExecutable(tool.binary, SANDBOX_PATH, options.cwd) === null) {
      throw new BackendUnavailableError(this.name, 'not installed', tool.install);
    }
    if (tool.guarded) requireGuard(this.name);
    await tool.check?.(options);
    if (tool.strict && this.root === null) {
      this.root = SandboxRoot.create(options.cwd);
      tool.setup?.(this.root, options);
    }
    if (tool.probe === false) return;
    // `true` by its path: the probe asks whether a sandbox starts, not whether the command's PATH (the `env` option) is good.
    const argv = [...this.nodePrefix, ...tool.wrap([hostProgram('true')], this.context())];
    try {
      await execFileAsync(argv[0] as string, argv.slice(1), { env: options.env, cwd: options.cwd, timeout: 30_000 });
    } catch (error) {
      const why = sandboxFailure(String((error as { stderr?: string | Buffer }).stderr ?? ''));
      throw new BackendUnavailableError(this.name, `cannot start a sandbox here: ${why || (error as Error).message}`, tool.install, {
        cause: error,
      });
    }
  }

  private context(): WrapContext {
    return { options: this.options, root: this.tool.strict ? this.root : null, guard: this.tool.guarded ? guardPath() : null };
  }

  /**
   * What a run of `command` executes: the working directory's view (workdirNamespace: `ro` and
   * `overlay`), then the tool's line with the launcher (reporting on descriptor 3, or `stderr`) in
   * front of the command; through the spawner `none` in `rw` runs the command alone, the spawner
   * being its timer; without the spawner, setpriv goes in front (pdeathsigPrefix).
   */
  private plan(
    command: readonly string[],
    spawned: boolean,
    view: readonly string[],
    hyperfine = false,
  ): { argv: string[]; report: 'fd' | 'stderr' | null; bare: boolean } {
    const bare = spawned && this.tool.bare === true && view.length === 0;
    const launcher = bare ? null : launcherForRun();
    const report = launcher === null ? null : (this.tool.reportVia ?? 'fd');
    const line =
      launcher === null
        ? this.tool.wrap(command, this.context())
        : this.tool.wrap([launcher, report === 'fd' && !hyperfine ? '3' : 'stderr', ...command], this.context(), launcher);
    return { argv: [...(spawned ? [] : this.nodePrefix), ...view, ...line], report, bare };
  }

  async run(command: readonly string[], options: RunOptions = {}): Promise<SandboxResult> {
    assertCommand(command);
    const { timeoutMs, maxOutputBytes, onOutput } = resolveRunOptions(options);
    if (!this.prepared) throw new BackendNotPreparedError(this.name);
    const { memoryBytes, cpus } = this.options;
    const group = this.cgroup ? (this.idleGroups.pop() ?? new RunCgroup(this.cgroup, { memoryBytes, cpus })) : null;
    const contained = this.freezer !== null || this.pids !== null;
    const containment = contained ? (this.idleContainment.pop() ?? new ContainmentGroup({ freezer: this.freezer, pids: this.pids })) : null;
    try {
      const spawner = await this.liveSpawner();
      const workdir = openHostWorkdir(this.options, this.tool.ownOverlay === true);
      const { argv, report, bare } = this.plan(command, spawner !== null, workdir.prefix);
      const spec = {
        backend: this.name,
        command,
        argv,
        launcher: report,
        env: this.options.env,
        cwd: this.options.cwd,
        timeoutMs,
        maxOutputBytes,
        onOutput,
        group,
        containment,
        memoryBytes,
      };
      if (spawner === null) return await workdir.close(await runHostProcess(spec));
      const result = await runSpawned(spawner, { ...spec, bare, noNewPrivs: this.tool.noNewPrivs === true });
      return layerAroundWindow(await workdir.close(result));
    } finally {
      if (group) this.idleGroups.push(group);
      if (containment) this.idleContainment.push(containment);
    }
  }

  /**
   * The exact command line a run of `command` executes and times, with what it needs: the root
   * `prepare` built (kept until teardown, or for good after keepRoot()) and what the spawner does
   * before each run's clock starts. `run --print-command` prints it; hand `hyperfine` to hyperfine -N.
   */
  commandLine(command: readonly string[]): CommandLine {
    assertCommand(command);
    if (!this.prepared) throw new BackendNotPreparedError(this.name);
    const spawned = this.spawner !== null;
    // The view of the working directory as a run gets it (in `overlay`, a layer of that run's).
    const view = this.tool.ownOverlay === true ? [] : workdirNamespace(this.options.workdir, this.options.cwd, null);
    const { argv } = this.plan(command, spawned, view);
    return {
      backend: this.name,
      argv,
      hyperfine: this.plan(command, spawned, view, true).argv,
      env: { ...this.options.env },
      cwd: this.options.cwd,
      timer: spawned ? 'spawner' : 'node',
      beforeEachRun: beforeEachRun(spawned, this.tool.noNewPrivs === true, this.freezer, this.cgroup !== null, this.pids),
      prepared: this.root?.dir ?? null,
    };
  }

  /**
   * Leaves the prepared root in place after teardown (`run --print-command`, so that the printed
   * line runs after this process has ended); it moves out of the stale-root sweep. Its directory.
   */
  keepRoot(): string | null {
    if (this.root === null) return null;
    this.root = this.root.keep();
    this.tool.setup?.(this.root, this.options);
    this.rootKept = true;
    return this.root.dir;
  }

  /** The spawner held since prepare, started again if it died meanwhile; null without one. */
  private async liveSpawner(): Promise<Spawner | null> {
    if (this.spawner === null || this.spawner.alive) return this.spawner;
    releaseSpawner();
    this.spawner = await acquireSpawner().catch(() => null);
    return this.spawner;
  }

  async teardown(): Promise<void> {
    this.prepared = false;
    if (this.spawner !== null) releaseSpawner();
    this.spawner = null;
    const groups = [...this.idleGroups, ...this.idleContainment];
    this.idleGroups = [];
    this.idleContainment = [];
    if (!this.rootKept) this.root?.remove();
    this.root = null;
    await Promise.all(groups.map((group) => group.remove()));
  }
}
