import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { BoundedOutput } from './BoundedOutput';
import { CGROUP_PARENT, markUsage, readUsage, removeGroup } from './cgroupV1';
import { collect, connectEngine, containerSpec, engineMessage, settleWithin, type Engine } from './dockerEngine';
import { describeExit, failedResult } from './hostProcess';
import { assertCommand, resolveRunOptions, resolveSandboxOptions, type ResolvedSandboxOptions } from './options';
import type { RunOptions, SandboxBackend, SandboxOptions, SandboxResult } from './types';

const DISCARD_WAIT_MS = 10_000;
/** Keeps the container alive between runs at no CPU cost. */
const IDLE_COMMAND = ['sleep', 'infinity'];
/** What runc answers when an exec's command cannot start (it then exits 126 or 127). */
const EXEC_FAILED = /OCI runtime exec failed[^\n]*/;

interface Warm {
  container: Docker.Container;
  cgroupParent: string | undefined;
}

/**
 * `docker-warm`: one container started by `prepare` and kept running; each run is an exec into it
 * (phases `exec-create`, `exec`, `inspect`), which saves the create/start/remove of a fresh
 * container. The container has the same settings as `docker`'s. A timeout kills the whole
 * container (an exec cannot be killed through the API) and the next run starts a new one (phase
 * `recreate`). `teardown` removes it. CPU time and peak memory are the container's cgroup deltas,
 * so they are reported only while runs do not overlap.
 */
export class DockerWarmBackend implements SandboxBackend {
  readonly name = 'docker-warm' as const;
  readonly options: Readonly<ResolvedSandboxOptions>;
  private engine: Engine | undefined;
  private warm: Warm | undefined;
  private running = 0;

  constructor(options: SandboxOptions = {}) {
    this.options = resolveSandboxOptions(options);
  }

  async prepare(): Promise<void> {
    this.engine ??= await connectEngine(this.name, this.options);
    this.warm ??= await this.startContainer(this.engine);
  }

  private async startContainer({ docker, cgroup }: Engine): Promise<Warm> {
    const id = randomUUID();
    const cgroupParent = cgroup ? `${CGROUP_PARENT}/warm-${process.pid}-${id}` : undefined;
    const spec = containerSpec(this.options, IDLE_COMMAND, cgroupParent, `warm-${id}`);
    const container = await docker.createContainer({ ...spec, AttachStdout: false, AttachStderr: false });
    try {
      await container.start();
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw new Error(`${this.name}: the warm container did not start: ${engineMessage(error)}`, { cause: error });
    }
    return { container, cgroupParent };
  }

  private async discard(warm: Warm): Promise<void> {
    if (this.warm === warm) this.warm = undefined;
    await warm.container.remove({ force: true, v: true }).catch(() => undefined);
    if (this.engine?.cgroup && warm.cgroupParent) await removeGroup(this.engine.cgroup.hierarchies, warm.cgroupParent);
  }

  async run(command: readonly string[], options: RunOptions = {}): Promise<SandboxResult> {
    assertCommand(command);
    const { timeoutMs, maxOutputBytes } = resolveRunOptions(options);
    const engine = this.engine;
    if (!engine) throw new Error(`${this.name}: call prepare() before run()`);
    const phases: Record<string, number> = {};
    let t = performance.now();
    if (!this.warm) {
      this.warm = await this.startContainer(engine);
      phases.recreate = performance.now() - t;
    }
    const warm = this.warm;
    const cgroup = engine.cgroup && warm.cgroupParent ? { v1: engine.cgroup, path: warm.cgroupParent } : undefined;
    const stdout = new BoundedOutput(maxOutputBytes);
    const stderr = new BoundedOutput(maxOutputBytes);
    this.running++;
    const cpuBefore = cgroup && this.running === 1 ? markUsage(cgroup.v1, cgroup.path) : null;
    // Set by the timeout callback: `as boolean` stops TypeScript narrowing it to `false` here.
    let timedOut = false as boolean;
    let discarded: Promise<void> | undefined;
    let exitCode: number | null = null;
    let overlapped = this.running > 1;
    try {
      t = performance.now();
      // The same environment, directory and user as a fresh container's.
      const spec = containerSpec(this.options, command, undefined, '');
      let exec: Docker.Exec;
      try {
        exec = await warm.container.exec({
          Cmd: [...command],
          Env: spec.Env,
          WorkingDir: spec.WorkingDir,
          User: spec.User,
          AttachStdout: true,
          AttachStderr: true,
        });
      } catch (error) {
        return failedResult(this.name, engineMessage(error), { ...phases, 'exec-create': performance.now() - t });
      }
      phases['exec-create'] = performance.now() - t;

      t = performance.now();
      const timer = setTimeout(() => {
        timedOut = true;
        discarded = this.discard(warm);
      }, timeoutMs);
      const stream = await exec.start({ hijack: true, stdin: false });
      await collect(engine.docker, stream, stdout, stderr);
      clearTimeout(timer);
      phases.exec = performance.now() - t;

      t = performance.now();
      if (!timedOut) exitCode = (await exec.inspect()).ExitCode;
      phases.inspect = performance.now() - t;
    } finally {
      overlapped ||= this.running > 1;
      this.running--;
    }
    if (discarded) await settleWithin(discarded, DISCARD_WAIT_MS);

    let cpuMs: number | null = null;
    let peakMemoryBytes: number | null = null;
    if (cgroup && !overlapped && !timedOut && cpuBefore !== null) {
      const usage = readUsage(cgroup.v1, cgroup.path);
      cpuMs = usage.cpuMs === null ? null : usage.cpuMs - cpuBefore / 1e6;
      peakMemoryBytes = usage.peakMemoryBytes;
    }
    const out = stdout.text();
    const execFailure = exitCode === 126 || exitCode === 127 ? EXEC_FAILED.exec(out)?.[0] : undefined;
    if (execFailure) return { ...failedResult(this.name, execFailure, phases), stdout: out, stderr: stderr.text() };
    const signal = timedOut ? 'SIGKILL' : null;
    return {
      backend: this.name,
      ...describeExit(exitCode, signal, timedOut, timeoutMs, false, this.options.memoryBytes),
      exitCode,
      signal,
      stdout: out,
      stderr: stderr.text(),
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      phases,
      cpuMs,
      peakMemoryBytes,
    };
  }

  async teardown(): Promise<void> {
    if (this.warm) await this.discard(this.warm);
    this.engine = undefined;
  }
}

export function createDockerWarmBackend(options?: SandboxOptions): DockerWarmBackend {
  return new DockerWarmBackend(options);
}
