import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { probeCgroupV1, RunCgroup, type CgroupV1 } from './cgroupV1';
import { BackendUnavailableError, QuotaUnsupportedError, BackendNotPreparedError } from '../errors';
import { findExecutable, runHostProcess } from './hostProcess';
import { launcherForRun } from './launcher';
import { guardPath, requireGuard } from './guard';
import { assertCommand, resolveRunOptions, resolveSandboxOptions, type ResolvedSandboxOptions } from '../options';
import { SANDBOX_PATH } from '../environment';
import { log, logOnce } from '../../log';
import { SandboxRoot } from './sandboxRoot';
import { ContainmentGroup, probeFreezer } from './containmentGroup';
import { removeOrphans } from '../orphans';
import { openHostWorkdir, prepareHostWorkdir } from './workdirNamespace';
import type { BackendName, RunOptions, SandboxBackend, SandboxOptions, SandboxResult } from '../types';

/**
 * Put before every host sandbox tool: util-linux `setpriv` sets the parent-death signal and execs
 * the tool, so a SIGKILL of the runner kills the tool, and the tool's namespace or sandbox with it.
 */
export const PDEATHSIG_PREFIX = ['setpriv', '--pdeathsig', 'KILL', '--'] as const;
/** The same, and `no_new_privs` for everything the sandbox runs (setuid files gain nothing). */
export const STRICT_PREFIX = ['setpriv', '--pdeathsig', 'KILL', '--no-new-privs', '--'] as const;

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
  /** Writes what the tool needs beside the root (e.g. unshare's fstab), once, at prepare. */
  setup?(root: SandboxRoot, options: ResolvedSandboxOptions): void;
  /** Whether `prepare` starts one real sandbox (`true`) to check it works here. @default true */
  probe?: boolean;
  /** Its runs need a freezer group to contain their processes (nothing else does: `none`). */
  contain?: boolean;
  /** Used instead when this tool cannot start a sandbox here (`none` without PID namespaces). */
  fallback?: HostTool;
  /**
   * The argv that runs `command` sandboxed. `launcher`, when given, is the timer at the head of
   * `command`: a tool that does not show the host's files inside must make that file visible.
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
  /** The tool in use: the preferred one, or the fallback `prepare` settled on. */
  private tool: HostTool;
  private root: SandboxRoot | null = null;
  /** Groups not in use; a run takes one (or creates one) and gives it back. */
  private idleGroups: RunCgroup[] = [];
  private freezer: string | null = null;
  private idleContainment: ContainmentGroup[] = [];
  private prepared = false;

  constructor(
    private readonly preferred: HostTool,
    options: SandboxOptions = {},
  ) {
    const tool = preferred;
    this.tool = tool;
    this.name = tool.name;
    this.options = resolveSandboxOptions(options);
  }

  async prepare(): Promise<void> {
    const { options } = this;
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
    const chain: HostTool[] = [this.preferred];
    for (let next = this.preferred.fallback; next; next = next.fallback) chain.push(next);
    for (const [index, tool] of chain.entries()) {
      try {
        await this.probe(tool);
        this.tool = tool;
        break;
      } catch (error) {
        const fallback = chain[index + 1];
        if (!fallback) {
          this.root?.remove();
          this.root = null;
          throw error;
        }
        logOnce(error, `${this.name}: falling back to ${fallback.wrap(['COMMAND'], this.context(fallback)).join(' ')}`);
      }
    }
    this.freezer = this.tool.contain ? probeFreezer().root : null;
    await prepareHostWorkdir(this.name, options, this.tool.ownOverlay === true);
    this.prepared = true;
  }

  /** Checks the tool is installed and starts a sandbox here (one real run of `true`). */
  private async probe(tool: HostTool): Promise<void> {
    const { options } = this;
    if (tool.binary !== undefined && findExecutable(tool.binary, SANDBOX_PATH, options.cwd) === null) {
      throw new BackendUnavailableError(this.name, 'not installed', tool.install);
    }
    if (tool.guarded) requireGuard(this.name);
    if (tool.strict && this.root === null) {
      this.root = SandboxRoot.create(options.cwd);
      tool.setup?.(this.root, options);
    }
    if (tool.probe === false) return;
    const argv = tool.wrap(['true'], this.context(tool));
    try {
      await execFileAsync(argv[0] as string, argv.slice(1), { env: options.env, cwd: options.cwd, timeout: 30_000 });
    } catch (error) {
      const stderr = String((error as { stderr?: string | Buffer }).stderr ?? '')
        .trim()
        .split('\n')
        .pop();
      throw new BackendUnavailableError(this.name, `cannot start a sandbox here: ${stderr || (error as Error).message}`, tool.install, {
        cause: error,
      });
    }
  }

  private context(tool: HostTool): WrapContext {
    return { options: this.options, root: tool.strict ? this.root : null, guard: tool.guarded ? guardPath() : null };
  }

  async run(command: readonly string[], options: RunOptions = {}): Promise<SandboxResult> {
    assertCommand(command);
    const { timeoutMs, maxOutputBytes, onOutput } = resolveRunOptions(options);
    if (!this.prepared) throw new BackendNotPreparedError(this.name);
    const { memoryBytes, cpus } = this.options;
    const group = this.cgroup ? (this.idleGroups.pop() ?? new RunCgroup(this.cgroup, { memoryBytes, cpus })) : null;
    const containment = this.freezer ? (this.idleContainment.pop() ?? new ContainmentGroup(this.freezer)) : null;
    try {
      const launcher = launcherForRun();
      const via = this.tool.reportVia ?? 'fd';
      const workdir = openHostWorkdir(this.options, this.tool.ownOverlay === true);
      const result = await runHostProcess({
        backend: this.name,
        command,
        argv: [
          ...workdir.prefix,
          ...(launcher === null
            ? this.tool.wrap(command, this.context(this.tool))
            : this.tool.wrap([launcher, via === 'fd' ? '3' : 'stderr', ...command], this.context(this.tool), launcher)),
        ],
        launcher: launcher === null ? null : via,
        env: this.options.env,
        cwd: this.options.cwd,
        timeoutMs,
        maxOutputBytes,
        onOutput,
        group,
        containment,
        memoryBytes,
      });
      return await workdir.close(result);
    } finally {
      if (group) this.idleGroups.push(group);
      if (containment) this.idleContainment.push(containment);
    }
  }

  async teardown(): Promise<void> {
    this.prepared = false;
    const groups = [...this.idleGroups, ...this.idleContainment];
    this.idleGroups = [];
    this.idleContainment = [];
    this.root?.remove();
    this.root = null;
    await Promise.all(groups.map((group) => group.remove()));
  }
}
