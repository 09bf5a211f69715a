import { BackendNotPreparedError } from '../errors';
import { randomBytes, randomUUID } from 'node:crypto';
import type Docker = require('dockerode');
import { boundedOutputs } from '../BoundedOutput';
import { CGROUP_PARENT, readUsage, removeGroup } from '../host/cgroupV1';
import { collect, connectEngine, containerSpec, engineMessage, settleWithin, type Engine } from './dockerEngine';
import { EngineClient, type Exchange } from './engineClient';
import { dockerPhases, type DockerRunTimes } from './dockerPhases';
import { commandTiming, describeExit, failedResult } from '../host/hostProcess';
import { afterSignalCleanup, registerRun } from '../inFlightRuns';
import { holdBackReport, launcherForRun, launcherSpawnError, performanceOffsetMs } from '../host/launcher';
import { REPORT_TAIL, stripReport, timedCommand } from './dockerLauncher';
import { assertCommand, resolveRunOptions, resolveSandboxOptions, type ResolvedSandboxOptions } from '../options';
import type { RunOptions, SandboxBackend, SandboxOptions, SandboxResult } from '../types';
import { measuredFields } from '../host/runMeasures';
import { requireGuard } from '../host/guard';
import { assertSandboxUserCanEnter } from '../cwdAccess';
import { containerUserIds } from './containerSpec';
import { closeLayer } from '../workdir/closeLayer';
import { WorkdirLayer } from '../workdir/WorkdirLayer';
import { dockerWorkdir, prepareDockerWorkdir } from './dockerWorkdir';
import { ownerTag } from '../owner';
import { TIMED_WINDOW, type TimedResult, type TimedWindow } from '../timedWindow';
import { layerAroundWindow } from '../host/spawnedRun';

const STREAM_GRACE_MS = 2000;

/**
 * `docker`: a fresh container per run through the Docker Engine API, as `docker run --rm` does: create,
 * attach and wait together, start; the engine removes the container as it exits (AutoRemove) and
 * answers the wait then, unless a memory limit is set (then a `remove` of our own follows, after a
 * look at an exit of 137). Phases (dockerPhases.ts): the engine's share of each step, `create`,
 * `attach`, `start` + `wait` (or the launcher's `spawn`, `command`, `exit`), and `client`, our own
 * share between them. Requests go through EngineClient, timed at the socket. Limits are Docker's (memory without swap,
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
  private client: EngineClient | undefined;
  private guard: string | null = null;

  constructor(options: SandboxOptions = {}) {
    this.options = resolveSandboxOptions(options);
  }

  async prepare(): Promise<void> {
    this.guard = requireGuard(this.name);
    assertSandboxUserCanEnter(this.name, this.options.cwd, containerUserIds(this.options.cwd));
    this.engine ??= await connectEngine(this.name, this.options);
    this.client ??= new EngineClient(this.options.dockerSocket);
    await prepareDockerWorkdir(this.options);
  }

  async run(command: readonly string[], options: RunOptions = {}): Promise<SandboxResult> {
    if (this.options.workdir !== 'overlay' || !this.engine) return this.runIn(command, options, null);
    // A layer per run, mounted by the engine as the container's volume (dockerWorkdir.ts).
    const t = performance.now();
    const layer = WorkdirLayer.create(this.options.cwd);
    const layerMs = performance.now() - t;
    let result: TimedResult;
    try {
      result = await this.runIn(command, options, layer);
    } catch (error) {
      await layer.remove().catch(() => undefined);
      throw error;
    }
    // The container is removed: nothing of the run writes to the layer any more. The layer is made
    // before the window and discarded after it (untimed); copying the outputs back stays timed.
    return layerAroundWindow(await closeLayer({ ...result, phases: { layer: layerMs, ...result.phases } }, layer, this.options));
  }

  private async runIn(command: readonly string[], options: RunOptions, layer: WorkdirLayer | null): Promise<TimedResult> {
    assertCommand(command);
    const { timeoutMs, maxOutputBytes, onOutput } = resolveRunOptions(options);
    const { engine, client } = this;
    if (!engine || !client) throw new BackendNotPreparedError(this.name);
    const times: DockerRunTimes = {
      began: performance.now(),
      create: null,
      attach: null,
      wait: null,
      start: null,
      inspect: null,
      remove: null,
    };
    const runId = randomUUID();
    const cgroupParent = engine.cgroup ? `${CGROUP_PARENT}/docker-${ownerTag()}-${runId}` : undefined;
    const launcher = launcherForRun();
    // The report is keyed (native/launcher.c, `stderr-key`): the key goes to the launcher's standard
    // input only. Unkeyed, a process the command left behind wrote a well-formed line after the
    // launcher's, before the container ended, and set its own commandMs (6 of 8 runs, hostile trial
    // 2026-12-07): its lines lack the key, so the timing falls back to the engine's.
    const key = launcher === null ? null : randomBytes(16).toString('hex');
    const held = launcher === null ? null : holdBackReport(onOutput);
    const { stdout, stderr } = boundedOutputs(maxOutputBytes, held ? held.listener : onOutput);
    // The launcher's report is the last line of standard error (the attach stream has no third descriptor).
    if (launcher !== null) stderr.tailBytes = REPORT_TAIL;
    const offsetMs = launcher === null ? 0 : performanceOffsetMs();
    // As docker run --rm: the engine removes the container (and its anonymous volumes) as it exits and
    // answers the wait then, one request less. Not under a memory limit: an exit of 137 is looked up in
    // the container before it goes.
    const autoRemove = this.options.memoryBytes === undefined;
    const spec = containerSpec(
      this.options,
      timedCommand(command, launcher, key !== null),
      cgroupParent,
      runId,
      { launcher, guard: this.guard },
      dockerWorkdir(this.options, layer),
    );
    if (autoRemove) spec.HostConfig = { ...spec.HostConfig, AutoRemove: true };
    if (key !== null) Object.assign(spec, { OpenStdin: true, AttachStdin: true });

    let created: { id: string; unregister: () => void };
    try {
      created = await this.create(client, engine, spec, runId, times);
    } catch (error) {
      return failedResult(this.name, engineMessage(error), dockerPhases(times, performance.now(), null));
    }
    const { id, unregister } = created;
    const path = `/containers/${id}`;
    // Set by the timeout callback: `as boolean` stops TypeScript narrowing it to `false` here.
    let timedOut = false as boolean;
    let exitCode: number | null = null;
    let failure: string | undefined;
    let oomKilled = false;
    let removed = false;
    try {
      // The attach and the wait together, both in place before the start (the wait's headers say it is registered).
      const [attached, waiting] = await Promise.allSettled([
        client.upgrade(`${path}/attach?stream=1&stdout=1&stderr=1${key === null ? '' : '&stdin=1'}`),
        client.open('POST', `${path}/wait?condition=${autoRemove ? 'removed' : 'next-exit'}`),
      ]);
      if (attached.status === 'rejected' || waiting.status === 'rejected') {
        if (attached.status === 'fulfilled') attached.value.stream.destroy();
        if (waiting.status === 'fulfilled') waiting.value.abort();
        throw attached.status === 'rejected' ? attached.reason : (waiting as PromiseRejectedResult).reason;
      }
      const { stream } = attached.value;
      const wait = waiting.value;
      times.attach = attached.value.exchange;
      times.wait = wait.exchange;
      const outputDone = collect(engine.docker, stream, stdout, stderr);
      // Read by the launcher before it starts the command, which gets /dev/null as its standard input.
      if (key !== null) stream.write(`${key}\n`);
      try {
        times.start = (await client.request('POST', `${path}/start`)).exchange;
      } catch (error) {
        // e.g. `exec: "nosuchcmd": executable file not found in $PATH`: the command cannot start.
        failure = engineMessage(error);
        wait.abort();
        stream.destroy();
      }
      if (failure === undefined) {
        const timer = setTimeout(() => {
          timedOut = true;
          client.request('POST', `${path}/kill?signal=SIGKILL`).catch(() => undefined);
        }, timeoutMs);
        try {
          exitCode = ((await wait.body) as { StatusCode: number }).StatusCode;
          removed = autoRemove;
        } finally {
          clearTimeout(timer);
        }
        await settleWithin(outputDone, STREAM_GRACE_MS);
        if (exitCode === 137 && !timedOut && !autoRemove) {
          const inspected = await client.request('GET', `${path}/json`);
          times.inspect = inspected.exchange;
          oomKilled = (inspected.body as { State?: { OOMKilled?: boolean } }).State?.OOMKilled === true;
        }
      }
    } catch (error) {
      failure ??= engineMessage(error);
    } finally {
      if (!removed)
        times.remove = await client.request('DELETE', `${path}?force=1&v=1`).then(
          (r) => r.exchange,
          () => null,
        );
      unregister();
    }
    // The timed window ends here: the container is gone (as `docker run --rm` returns) and its output in.
    const window: TimedWindow = { startedAt: times.began, endedAt: performance.now() };
    // A run ended by a signal's cleanup is not reported while the process is about to die of it.
    await afterSignalCleanup();

    // Whatever way the run ended, the held-back end of stderr goes out (without the launcher's line).
    held?.finish();
    let usage: ReturnType<typeof readUsage> | undefined;
    if (engine.cgroup && cgroupParent) {
      // Our accounting, not the sandbox's: after the window, the run's untimed teardown.
      usage = readUsage(engine.cgroup, cgroupParent);
      await removeGroup(engine.cgroup.hierarchies, cgroupParent);
    }
    const spawnErrno = launcher === null ? null : launcherSpawnError(stderr.tail(), key);
    if (spawnErrno !== null) failure = `spawn ${command[0] as string} ${spawnErrno === 2 ? 'ENOENT' : `errno ${spawnErrno}`}`;
    // The launcher's report splits the start's request → the wait's answer into spawn, command and exit, and names the signal.
    const ran = times.start !== null && times.wait !== null && exitCode !== null && !timedOut && failure === undefined;
    // Taken only where it agrees with the exit code the engine saw (the command shares standard error).
    const seen = { exitCode, signal: null, key };
    const timing =
      launcher === null || !ran
        ? null
        : commandTiming(stderr.tail(), (times.start as Exchange).sent, (times.wait as Exchange).answered, offsetMs, seen);
    const phases = dockerPhases(times, window.endedAt, timing ? timing.phases : null);
    const timed = { untimed: { setupMs: 0, teardownMs: performance.now() - window.endedAt }, [TIMED_WINDOW]: window };
    if (failure !== undefined)
      return { ...failedResult(this.name, failure, phases), stdout: stdout.text(), stderr: stripReport(stderr, launcher), ...timed };
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
      ...timed,
    };
  }

  /**
   * Creates the container, in the in-flight registry from the moment it is asked for: a SIGINT/SIGTERM
   * while the engine is still creating it waits for the creation and removes the container too.
   */
  private async create(
    client: EngineClient,
    engine: Engine,
    spec: Docker.ContainerCreateOptions,
    runId: string,
    times: DockerRunTimes,
  ): Promise<{ id: string; unregister: () => void }> {
    const creating = client.request('POST', '/containers/create', spec);
    const unregister = registerRun(`docker run ${runId}`, async () => {
      const made = await creating.catch(() => null);
      const id = (made?.body as { Id?: unknown } | null)?.Id;
      if (typeof id === 'string')
        await engine.docker
          .getContainer(id)
          .remove({ force: true, v: true })
          .catch(() => undefined);
    });
    try {
      const { body, exchange } = await creating;
      times.create = exchange;
      return { id: (body as { Id: string }).Id, unregister };
    } catch (error) {
      unregister();
      throw error;
    }
  }

  async teardown(): Promise<void> {
    this.engine = undefined;
    this.client?.close();
    this.client = undefined;
  }
}

export function createDockerBackend(options?: SandboxOptions): DockerBackend {
  return new DockerBackend(options);
}
