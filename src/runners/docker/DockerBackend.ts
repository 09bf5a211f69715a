import { BackendNotPreparedError } from '../errors';
import { randomUUID } from 'node:crypto';
import type Docker = require('dockerode');
import { boundedOutputs } from '../BoundedOutput';
import { CGROUP_PARENT, readUsage, removeGroup } from '../host/cgroupV1';
import { collect, connectEngine, containerSpec, createInFlight, engineMessage, settleWithin, type Engine } from './dockerEngine';
import { commandTiming, describeExit, failedResult } from '../host/hostProcess';
import { afterSignalCleanup } from '../inFlightRuns';
import { holdBackReport, launcherForRun, launcherSpawnError, performanceOffsetMs } from '../host/launcher';
import { REPORT_TAIL, replacePhases, stripReport, timedCommand } from './dockerLauncher';
import { assertCommand, resolveRunOptions, resolveSandboxOptions, type ResolvedSandboxOptions } from '../options';
import type { RunOptions, SandboxBackend, SandboxOptions, SandboxResult } from '../types';
import { measuredFields } from '../host/runMeasures';
import { requireGuard } from '../host/guard';
import { closeLayer } from '../workdir/closeLayer';
import { WorkdirLayer } from '../workdir/WorkdirLayer';
import { dockerWorkdir, prepareDockerWorkdir } from './dockerWorkdir';

const STREAM_GRACE_MS = 2000;

/**
 * `docker`: a fresh container per run through the Docker Engine API, as `docker run --rm` does:
 * phases `create`, `attach`, `start`, `wait`, `remove`. Limits are Docker's (memory without swap,
 * NanoCpus); the hardening is containerSpec's (no capabilities, no-new-privileges, a non-root
 * user, read-only root, the working directory the only host path, a PID limit, network `none`
 * unless asked for). Each container gets its own cgroup parent when the engine is local on cgroup
 * v1, so its CPU time and peak memory survive its removal. The command is the container's PID 1:
 * when it exits, the kernel kills whatever it left in the container.
 */
export class DockerBackend implements SandboxBackend {
  readonly name = 'docker' as const;
  readonly options: Readonly<ResolvedSandboxOptions>;
  private engine: Engine | undefined;
  private guard: string | null = null;

  constructor(options: SandboxOptions = {}) {
    this.options = resolveSandboxOptions(options);
  }

  async prepare(): Promise<void> {
    this.guard = requireGuard(this.name);
    this.engine ??= await connectEngine(this.name, this.options);
    await prepareDockerWorkdir(this.options);
  }

  async run(command: readonly string[], options: RunOptions = {}): Promise<SandboxResult> {
    if (this.options.workdir !== 'overlay' || !this.engine) return this.runIn(command, options, null);
    // A layer per run, mounted by the engine as the container's volume (dockerWorkdir.ts).
    const t = performance.now();
    const layer = WorkdirLayer.create(this.options.cwd);
    const layerMs = performance.now() - t;
    let result: SandboxResult;
    try {
      result = await this.runIn(command, options, layer);
    } catch (error) {
      await layer.remove().catch(() => undefined);
      throw error;
    }
    // The container is removed: nothing of the run writes to the layer any more.
    return closeLayer({ ...result, phases: { layer: layerMs, ...result.phases } }, layer, this.options);
  }

  private async runIn(command: readonly string[], options: RunOptions, layer: WorkdirLayer | null): Promise<SandboxResult> {
    assertCommand(command);
    const { timeoutMs, maxOutputBytes, onOutput } = resolveRunOptions(options);
    if (!this.engine) throw new BackendNotPreparedError(this.name);
    const { docker, cgroup } = this.engine;
    let phases: Record<string, number> = {};
    const runId = randomUUID();
    const cgroupParent = cgroup ? `${CGROUP_PARENT}/docker-${process.pid}-${runId}` : undefined;
    const launcher = launcherForRun();
    const held = launcher === null ? null : holdBackReport(onOutput);
    const { stdout, stderr } = boundedOutputs(maxOutputBytes, held ? held.listener : onOutput);
    // The launcher's report is the last line of standard error (the attach stream has no third descriptor).
    if (launcher !== null) stderr.tailBytes = REPORT_TAIL;
    const offsetMs = launcher === null ? 0 : performanceOffsetMs();

    let t = performance.now();
    let container: Docker.Container;
    let unregister: () => void;
    try {
      // SIGINT/SIGTERM of this process from here on: the container is removed before the process exits.
      ({ container, unregister } = await createInFlight(
        docker,
        containerSpec(
          this.options,
          timedCommand(command, launcher),
          cgroupParent,
          runId,
          { launcher, guard: this.guard },
          dockerWorkdir(this.options, layer),
        ),
        `docker run ${runId}`,
        (c) => c.remove({ force: true, v: true }).catch(() => undefined),
      ));
    } catch (error) {
      return failedResult(this.name, engineMessage(error), { create: performance.now() - t });
    }
    phases.create = performance.now() - t;

    // Set by the timeout callback: `as boolean` stops TypeScript narrowing it to `false` here.
    let timedOut = false as boolean;
    let exitCode: number | null = null;
    let failure: string | undefined;
    let oomKilled = false;
    let startedAt = 0;
    let waitedAt = 0;
    try {
      t = performance.now();
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const outputDone = collect(docker, stream, stdout, stderr);
      phases.attach = performance.now() - t;

      t = performance.now();
      startedAt = t;
      try {
        await container.start();
      } catch (error) {
        // e.g. `exec: "nosuchcmd": executable file not found in $PATH`: the command cannot start.
        failure = engineMessage(error);
      }
      phases.start = performance.now() - t;

      if (failure === undefined) {
        t = performance.now();
        const timer = setTimeout(() => {
          timedOut = true;
          container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
        }, timeoutMs);
        const waited = (await container.wait()) as { StatusCode: number };
        clearTimeout(timer);
        await settleWithin(outputDone, STREAM_GRACE_MS);
        exitCode = waited.StatusCode;
        waitedAt = performance.now();
        phases.wait = waitedAt - t;
        if (exitCode === 137 && !timedOut && this.options.memoryBytes !== undefined) {
          oomKilled = (await container.inspect()).State.OOMKilled;
        }
      }
    } finally {
      t = performance.now();
      await container.remove({ force: true, v: true }).catch(() => undefined);
      unregister();
      phases.remove = performance.now() - t;
    }
    // A run ended by a signal's cleanup is not reported while the process is about to die of it.
    await afterSignalCleanup();

    // Whatever way the run ended, the held-back end of stderr goes out (without the launcher's line).
    held?.finish();
    let usage: ReturnType<typeof readUsage> | undefined;
    if (cgroup && cgroupParent) {
      t = performance.now();
      usage = readUsage(cgroup, cgroupParent);
      await removeGroup(cgroup.hierarchies, cgroupParent);
      phases.cleanup = performance.now() - t;
    }
    const spawnErrno = launcher === null ? null : launcherSpawnError(stderr.tail());
    if (spawnErrno !== null) failure = `spawn ${command[0] as string} ${spawnErrno === 2 ? 'ENOENT' : `errno ${spawnErrno}`}`;
    if (failure !== undefined)
      return { ...failedResult(this.name, failure, phases), stdout: stdout.text(), stderr: stripReport(stderr, launcher) };

    // The launcher's report splits start + wait into spawn, command and exit, and names the signal.
    const timing = launcher === null || waitedAt === 0 || timedOut ? null : commandTiming(stderr.tail(), startedAt, waitedAt, offsetMs);
    if (timing) phases = replacePhases(phases, ['start', 'wait'], timing.phases);
    // Without it Docker reports a signal as 128 + its number; a timeout's kill is the only one we can name.
    const signal = timedOut ? 'SIGKILL' : (timing?.report.signal ?? null);
    const code = timedOut ? null : timing ? timing.report.exitCode : exitCode;
    return {
      backend: this.name,
      ...describeExit(code, signal, timedOut, timeoutMs, oomKilled, this.options.memoryBytes),
      exitCode: code,
      signal,
      stdout: stdout.text(),
      stderr: stripReport(stderr, launcher),
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      phases,
      ...measuredFields(usage, timing),
    };
  }

  async teardown(): Promise<void> {
    this.engine = undefined;
  }
}

export function createDockerBackend(options?: SandboxOptions): DockerBackend {
  return new DockerBackend(options);
}
