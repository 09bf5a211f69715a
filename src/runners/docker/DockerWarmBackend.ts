import { BackendNotPreparedError } from '../errors';
import { randomBytes, randomUUID } from 'node:crypto';
import type Docker = require('dockerode');
import { boundedOutputs } from '../BoundedOutput';
import { CGROUP_PARENT, markUsage, readUsage, removeGroup } from '../host/cgroupV1';
import { isLocalGuardInit, killDescendants } from './containerProcesses';
import { collect, connectEngine, containerSpec, createInFlight, engineMessage, settleWithin, type Engine } from './dockerEngine';
import { commandTiming, describeExit, failedResult } from '../host/hostProcess';
import { afterSignalCleanup } from '../inFlightRuns';
import { holdBackReport, launcherForRun, launcherSpawnError, performanceOffsetMs } from '../host/launcher';
import { REPORT_TAIL, stripReport, timedCommand, watchReport } from './dockerLauncher';
import { assertCommand, resolveRunOptions, resolveSandboxOptions, type ResolvedSandboxOptions } from '../options';
import type { RunOptions, SandboxBackend, SandboxOptions, SandboxResult } from '../types';
import { measuredFields } from '../host/runMeasures';
import { requireGuard } from '../host/guard';
import { assertSandboxUserCanEnter } from '../cwdAccess';
import { containerUserIds } from './containerSpec';
import { closeLayer } from '../workdir/closeLayer';
import { dockerWorkdir, prepareDockerWorkdir } from './dockerWorkdir';
import { WarmWorkdir } from './warmWorkdir';
import { ownerTag } from '../owner';

const DISCARD_WAIT_MS = 10_000;
/**
 * The container's only process between runs: the socket guard as its init, which reaps what runs
 * leave at no CPU cost. Not Docker's init (tini): the commands exec'd into the container run as the
 * same user as its init, and could take over an init outside the guard's filter through ptrace or
 * /proc/1/mem; the guard's init is under its own filter and not dumpable.
 */
const INIT_COMMAND = ['--init'];
/** What runc answers when an exec's command cannot start (it then exits 126 or 127). */
const EXEC_FAILED = /OCI runtime exec failed[^\n]*/;
/** How long the killed leftovers of a run may take to be reaped before the container is replaced instead. */
const REAP_TIMEOUT_MS = 2000;

interface Warm {
  container: Docker.Container;
  cgroupParent: string | undefined;
  /** Host PID of the container's init, when the engine is local; null: runs cannot be cleaned one by one. */
  init: { pid: number } | null;
  /** Takes the container off the in-flight registry (SIGINT/SIGTERM remove it meanwhile). */
  unregister: () => void;
  /** The launcher bound into the container, or null (commands timed from Node). */
  launcher: string | null;
}

/**
 * `docker-warm`: one container started by `prepare` and kept running; each run is an exec into it
 * (phases `exec-create`, `exec`, `inspect`, `cleanup`), which saves the create/start/remove of a
 * fresh container. The container has the same settings as `docker`'s, plus Docker's init as PID 1.
 * After each run every process it left is killed (`cleanup`), so no process survives from one run
 * to the next; files in the working directory, /tmp and /dev/shm do (the pools of issue 15 give
 * each run a fresh container). A timeout kills the whole container (an exec cannot be killed
 * through the API) and the next run starts a new one (phase `recreate`). `teardown` removes it.
 * CPU time and peak memory are the container's cgroup deltas, so they are reported only while runs
 * do not overlap.
 */
export class DockerWarmBackend implements SandboxBackend {
  readonly name = 'docker-warm' as const;
  readonly options: Readonly<ResolvedSandboxOptions>;
  private engine: Engine | undefined;
  private guard: string | null = null;
  private warm: Warm | undefined;
  private running = 0;
  /** Set while the leftovers of the last run are being killed. */
  private cleaning: Promise<void> | undefined;
  /** The host mount point each `overlay` run mounts its layer on (warmWorkdir.ts). */
  private workdir: WarmWorkdir | undefined;

  constructor(options: SandboxOptions = {}) {
    this.options = resolveSandboxOptions(options);
  }

  async prepare(): Promise<void> {
    this.guard = requireGuard(this.name);
    assertSandboxUserCanEnter(this.name, this.options.cwd, containerUserIds(this.options.cwd));
    this.engine ??= await connectEngine(this.name, this.options);
    await prepareDockerWorkdir(this.options);
    if (this.options.workdir === 'overlay') this.workdir ??= await WarmWorkdir.create(this.options.cwd);
    this.warm ??= await this.startContainer(this.engine);
  }

  private async startContainer({ docker, cgroup }: Engine): Promise<Warm> {
    const id = randomUUID();
    const cgroupParent = cgroup ? `${CGROUP_PARENT}/warm-${ownerTag()}-${id}` : undefined;
    const launcher = launcherForRun();
    const workdir = dockerWorkdir(this.options, null, this.workdir?.mountPoint);
    const spec = containerSpec(this.options, INIT_COMMAND, cgroupParent, `warm-${id}`, { launcher, guard: this.guard }, workdir);
    // From here until teardown, SIGINT/SIGTERM of this process removes the container.
    const { container, unregister } = await createInFlight(
      docker,
      { ...spec, AttachStdout: false, AttachStderr: false },
      `docker-warm container warm-${id}`,
      (c) => this.removeContainer(c, cgroupParent),
    );
    const warm: Warm = { container, cgroupParent, init: null, unregister, launcher };
    try {
      await container.start();
      const pid = (await container.inspect()).State.Pid;
      warm.init = isLocalGuardInit(pid) ? { pid } : null;
    } catch (error) {
      await this.discard(warm);
      throw new Error(`${this.name}: the warm container did not start: ${engineMessage(error)}`, { cause: error });
    }
    return warm;
  }

  private async discard(warm: Warm): Promise<void> {
    if (this.warm === warm) this.warm = undefined;
    warm.unregister();
    await this.removeContainer(warm.container, warm.cgroupParent);
  }

  private async removeContainer(container: Docker.Container, cgroupParent: string | undefined): Promise<void> {
    await container.remove({ force: true, v: true }).catch(() => undefined);
    if (this.engine?.cgroup && cgroupParent) await removeGroup(this.engine.cgroup.hierarchies, cgroupParent);
  }

  /**
   * Kills every process the runs left in the container (background jobs, setsid or double-fork
   * escapes: all reparented to the init), so the next run starts in the state the first one did;
   * where they cannot be seen (a remote engine), or do not go in time, the container is replaced.
   */
  private async killLeftovers(warm: Warm): Promise<void> {
    if (!warm.init || !(await killDescendants(warm.init.pid, REAP_TIMEOUT_MS))) return this.discard(warm);
  }

  async run(command: readonly string[], options: RunOptions = {}): Promise<SandboxResult> {
    const workdir = this.workdir;
    if (!workdir || !this.engine) return this.runIn(command, options);
    // After the runs before it, a fresh layer over the working directory (warmWorkdir.ts).
    let t = performance.now();
    const lease = await workdir.acquire(this.options.cwd);
    const layerMs = performance.now() - t;
    let result: SandboxResult;
    try {
      // Returns once the run's leftovers are killed (or the container removed).
      result = await this.runIn(command, options);
      result = await closeLayer({ ...result, phases: { layer: layerMs, ...result.phases } }, lease.layer, this.options, false);
    } finally {
      t = performance.now();
      await lease.release();
    }
    return { ...result, phases: { ...result.phases, discard: performance.now() - t } };
  }

  private async runIn(command: readonly string[], options: RunOptions): Promise<SandboxResult> {
    assertCommand(command);
    const { timeoutMs, maxOutputBytes, onOutput } = resolveRunOptions(options);
    const engine = this.engine;
    if (!engine) throw new BackendNotPreparedError(this.name);
    const phases: Record<string, number> = {};
    let t = performance.now();
    // A run starts in a container its predecessors' leftovers are gone from.
    if (this.cleaning) await this.cleaning;
    if (!this.warm) {
      this.warm = await this.startContainer(engine);
      phases.recreate = performance.now() - t;
    }
    const warm = this.warm;
    const cgroup = engine.cgroup && warm.cgroupParent ? { v1: engine.cgroup, path: warm.cgroupParent } : undefined;
    const held = warm.launcher === null ? null : holdBackReport(onOutput);
    const key = warm.launcher === null ? null : randomBytes(16).toString('hex');
    const listener = held ? held.listener : onOutput;
    // The launcher's keyed line, seen as it arrives, is the command's end (the launcher reaped it).
    const report = key === null ? null : watchReport(listener, key, () => stderr.tail());
    const { stdout, stderr } = boundedOutputs(maxOutputBytes, report ? report.listener : listener);
    if (warm.launcher !== null) stderr.tailBytes = REPORT_TAIL;
    const offsetMs = warm.launcher === null ? 0 : performanceOffsetMs();
    let timing: ReturnType<typeof commandTiming> = null;
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
      // The launcher's report goes to the standard error the command shares, and in this shared
      // container a process the command left behind outlives it there: the report is keyed, its
      // key written to the launcher's standard input only (native/launcher.c, `stderr-key`).
      const spec = containerSpec(this.options, timedCommand(command, warm.launcher, key !== null), undefined, '', {
        launcher: null,
        guard: this.guard,
      });
      let exec: Docker.Exec;
      try {
        exec = await warm.container.exec({
          Cmd: spec.Cmd,
          Env: spec.Env,
          WorkingDir: spec.WorkingDir,
          User: spec.User,
          AttachStdin: key !== null,
          AttachStdout: true,
          AttachStderr: true,
        });
      } catch (error) {
        return failedResult(this.name, engineMessage(error), { ...phases, 'exec-create': performance.now() - t });
      }
      phases['exec-create'] = performance.now() - t;

      const execStart = performance.now();
      const timer = setTimeout(() => {
        timedOut = true;
        discarded = this.discard(warm);
      }, timeoutMs);
      const stream = await exec.start({ hijack: true, stdin: key !== null });
      // The key, then the end of standard input (the launcher gives the command /dev/null).
      if (key !== null) stream.end(`${key}\n`);
      const output = collect(engine.docker, stream, stdout, stderr);
      await Promise.race([output, report?.seen]);
      // A process the command left holding its output keeps the exec's stream open: the engine waits
      // up to 2 s for it before it ends the exec (and answers inspect). As docker's container ends
      // with its PID 1, what the command left is killed once the launcher reports (when the run is
      // alone in the container: else it may be another run's), and the stream closes.
      const reportedAt = report?.at() ?? null;
      let execEnd = reportedAt ?? performance.now();
      if (reportedAt !== null) {
        if (this.running === 1 && warm.init !== null && this.warm === warm) {
          this.cleaning = killDescendants(warm.init.pid, REAP_TIMEOUT_MS).then(() => (this.cleaning = undefined));
          await this.cleaning;
        }
        await output;
      }
      clearTimeout(timer);
      const closedAt = performance.now();
      if (!timedOut) exitCode = (await exec.inspect()).ExitCode;
      const inspectMs = performance.now() - closedAt;
      // The launcher's report splits the exec into spawn, command and exit, when it carries the run's
      // key and agrees with the exit code the engine saw; else (output after it, say) the exec runs
      // to its stream's end. Then what the run left killed and its output closed, and inspect.
      if (warm.launcher !== null && !timedOut)
        timing = commandTiming(stderr.tail(), execStart, execEnd, offsetMs, { exitCode, signal: null, key });
      if (timing === null) execEnd = closedAt;
      Object.assign(phases, timing ? timing.phases : { exec: execEnd - execStart });
      if (closedAt > execEnd) phases.cleanup = closedAt - execEnd;
      phases.inspect = inspectMs;
    } finally {
      overlapped ||= this.running > 1;
      this.running--;
    }
    held?.finish();
    if (discarded) await settleWithin(discarded, DISCARD_WAIT_MS);
    // A run ended by a signal's cleanup is not reported while the process is about to die of it.
    await afterSignalCleanup();
    // Overlapping runs share the container: the last one to end cleans up after all of them.
    if (!timedOut && this.running === 0 && this.warm === warm) {
      t = performance.now();
      this.cleaning = this.killLeftovers(warm).finally(() => (this.cleaning = undefined));
      await this.cleaning;
      phases.cleanup = (phases.cleanup ?? 0) + performance.now() - t;
    }

    let cpuMs: number | null = null;
    let peakMemoryBytes: number | null = null;
    if (cgroup && !overlapped && !timedOut && cpuBefore !== null) {
      const usage = readUsage(cgroup.v1, cgroup.path);
      cpuMs = usage.cpuMs === null ? null : usage.cpuMs - cpuBefore / 1e6;
      peakMemoryBytes = usage.peakMemoryBytes;
    }
    const out = stdout.text();
    const errText = stripReport(stderr, warm.launcher);
    const spawnErrno = warm.launcher === null || exitCode !== 127 ? null : launcherSpawnError(stderr.tail(), key);
    const execFailure =
      spawnErrno !== null
        ? `spawn ${command[0] as string} ${spawnErrno === 2 ? 'ENOENT' : `errno ${spawnErrno}`}`
        : exitCode === 126 || exitCode === 127
          ? EXEC_FAILED.exec(out)?.[0]
          : undefined;
    if (execFailure) return { ...failedResult(this.name, execFailure, phases), stdout: out, stderr: errText };
    const signal = timedOut ? 'SIGKILL' : (timing?.report.signal ?? null);
    if (timing) exitCode = timing.report.exitCode;
    return {
      backend: this.name,
      ...describeExit(exitCode, signal, timedOut, timeoutMs, false, this.options.memoryBytes),
      exitCode,
      signal,
      stdout: out,
      stderr: errText,
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      phases,
      // The container's cgroup deltas when they are the run's alone, else the launcher's wait4.
      ...measuredFields({ cpuMs, peakMemoryBytes }, timing),
    };
  }

  async teardown(): Promise<void> {
    if (this.warm) await this.discard(this.warm);
    await this.workdir?.remove();
    this.workdir = undefined;
    this.engine = undefined;
  }
}

export function createDockerWarmBackend(options?: SandboxOptions): DockerWarmBackend {
  return new DockerWarmBackend(options);
}
