import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { probeCgroupV1, RunCgroup, type CgroupV1 } from './cgroupV1';
import { BackendUnavailableError, QuotaUnsupportedError } from './errors';
import { findExecutable, runHostProcess } from './hostProcess';
import { launcherForRun } from './launcher';
import { assertCommand, resolveRunOptions, resolveSandboxOptions, type ResolvedSandboxOptions } from './options';
import { SANDBOX_PATH } from './environment';
import type { BackendName, RunOptions, SandboxBackend, SandboxOptions, SandboxResult } from './types';

const execFileAsync = promisify(execFile);

/** What a host-process backend needs: its tool, how to wrap a command, how to enable it. */
export interface HostTool {
  name: BackendName;
  /** The executable, looked up on the sandbox PATH; undefined for `none`. */
  binary?: string;
  /** The one command that installs the tool. */
  install: string;
  /**
   * The argv that runs `command` sandboxed. `launcher`, when given, is the timer at the head of
   * `command`: a tool that does not show the host's files inside must make that file visible.
   */
  wrap(command: readonly string[], options: ResolvedSandboxOptions, launcher?: string): string[];
  /**
   * How the launcher's report gets out: descriptor 3, or standard error for a sandbox that passes
   * no other descriptor in (`runsc do`). @default 'fd'
   */
  reportVia?: 'fd' | 'stderr';
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
  /** Groups not in use; a run takes one (or creates one) and gives it back. */
  private idleGroups: RunCgroup[] = [];
  private prepared = false;

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
    const cgroup = probeCgroupV1();
    this.cgroup = options.cgroups ? cgroup.value : null;
    for (const quota of ['memoryBytes', 'cpus'] as const) {
      if (options[quota] !== undefined && this.cgroup === null) {
        throw new QuotaUnsupportedError(this.name, quota, options.cgroups ? cgroup.reason : 'the `cgroups` option is false');
      }
    }
    if (tool.binary !== undefined) {
      if (findExecutable(tool.binary, SANDBOX_PATH, options.cwd) === null) {
        throw new BackendUnavailableError(this.name, 'not installed', tool.install);
      }
      const argv = tool.wrap(['true'], options);
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
    this.prepared = true;
  }

  async run(command: readonly string[], options: RunOptions = {}): Promise<SandboxResult> {
    assertCommand(command);
    const { timeoutMs, maxOutputBytes, onOutput } = resolveRunOptions(options);
    if (!this.prepared) throw new Error(`${this.name}: call prepare() before run()`);
    const { memoryBytes, cpus } = this.options;
    const group = this.cgroup ? (this.idleGroups.pop() ?? new RunCgroup(this.cgroup, { memoryBytes, cpus })) : null;
    try {
      const launcher = launcherForRun();
      const via = this.tool.reportVia ?? 'fd';
      return await runHostProcess({
        backend: this.name,
        command,
        argv:
          launcher === null
            ? this.tool.wrap(command, this.options)
            : this.tool.wrap([launcher, via === 'fd' ? '3' : 'stderr', ...command], this.options, launcher),
        launcher: launcher === null ? null : via,
        env: this.options.env,
        cwd: this.options.cwd,
        timeoutMs,
        maxOutputBytes,
        onOutput,
        group,
        memoryBytes,
      });
    } finally {
      if (group) this.idleGroups.push(group);
    }
  }

  async teardown(): Promise<void> {
    this.prepared = false;
    const groups = this.idleGroups;
    this.idleGroups = [];
    await Promise.all(groups.map((group) => group.remove()));
  }
}
