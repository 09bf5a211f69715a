import { constants } from 'node:os';
import { boundedOutputs } from '../BoundedOutput';
import { afterSignalCleanup, registerRun } from '../inFlightRuns';
import { TIMED_WINDOW, type TimedResult } from '../timedWindow';
import { describeExit, failedResult, findExecutable, reportedTiming, whyNotExecutable, type HostRunSpec } from './hostProcess';
import { holdBackReport, performanceOffsetMs, reportLineLength, type LauncherReport } from './launcher';
import { measuredFields, type CommandTiming } from './runMeasures';
import type { Spawner } from './Spawner';
import type { SpawnerDone } from './spawnerProtocol';

/** What a run through the spawner needs beyond a host run's spec. */
export interface SpawnedRunSpec extends HostRunSpec {
  /** `argv` is the command itself, nothing in between: the spawner's window is the command's time (`none`). */
  bare: boolean;
  /** Set `no_new_privs` before the exec (the strict tools; was `setpriv --no-new-privs`). */
  noNewPrivs: boolean;
}

/** Longest tail of standard error kept for a launcher that reports there. */
const REPORT_MAX = 256;

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));
const errnoName = (errno: number): string => ERRNO_NAMES.get(errno) ?? `errno ${errno}`;

/**
 * Runs a host command through the spawner (Spawner.ts, native/spawner.c). The record's window is
 * the spawner's two readings: CLOCK_MONOTONIC right before the parked child is let go to exec the
 * backend's command line, and right after wait4 reaped it. Before the window, untimed: the PATH
 * check, the group's accounting window, the request, the child's fork, session, parent-death
 * signal, working directory, streams and group joins. After it, untimed: the kill of whatever the
 * run left, its output drained, the accounting read. Phases (all inside the window): `command`
 * for `none` (the spawner times the command itself); with the launcher inside a sandbox, `spawn`,
 * `command`, `exit` (or `sandbox`, `command` on gVisor's own clock); else `run`.
 */
export async function runSpawned(spawner: Spawner, spec: SpawnedRunSpec): Promise<TimedResult> {
  const calledAt = performance.now();
  const { backend, command, env, cwd, argv } = spec;
  const pathVar = env.PATH ?? '';
  const program = command[0] as string;
  // Checked on the host because these backends see the host's filesystem: an exec error would
  // name the sandbox tool, not the command.
  const found = findExecutable(program, pathVar, cwd);
  if (found === null) return failedResult(backend, whyNotExecutable(program, pathVar, cwd));
  const tool = argv[0] as string;
  const file = spec.bare ? found : findExecutable(tool, pathVar, cwd);
  if (file === null) return failedResult(backend, whyNotExecutable(tool, pathVar, cwd));

  const group = spec.group;
  group?.begin();
  const via = spec.launcher ?? null;
  const held = via === 'stderr' ? holdBackReport(spec.onOutput) : null;
  const { stdout, stderr } = boundedOutputs(spec.maxOutputBytes, held ? held.listener : spec.onOutput);
  let stderrTail = '';
  const { id, done } = spawner.run(
    {
      file,
      argv,
      env,
      cwd,
      timeoutMs: spec.timeoutMs,
      noNewPrivs: spec.noNewPrivs,
      reportFd: via === 'fd',
      groups: [...(group?.dirs ?? []), ...(spec.containment?.dirs ?? [])],
      freezer: spec.containment?.freezerDir ?? null,
    },
    (stream, chunk) => {
      (stream === 'stdout' ? stdout : stderr).push(chunk);
      if (via === 'stderr' && stream === 'stderr') stderrTail = (stderrTail + chunk.toString('latin1')).slice(-REPORT_MAX);
    },
  );
  // SIGINT/SIGTERM of this process: the spawner kills the run and reports its end before the process exits.
  const unregister = registerRun(`${backend} run (spawner run ${id})`, async () => {
    spawner.kill(id);
    await done.catch(() => undefined);
  });
  let ended: SpawnerDone;
  try {
    ended = await done;
  } catch (error) {
    // The spawner died (its own parent-death signal killed the run's first process): the rest here.
    spec.containment?.killAll();
    group?.killAll();
    unregister();
    return failedResult(backend, (error as Error).message);
  }
  unregister();
  await afterSignalCleanup();
  held?.finish();
  if (ended.stage === 'setup') {
    return failedResult(backend, `could not prepare the run (${errnoName(ended.errno)}: ${setupWhat(spec)})`);
  }

  const offsetMs = performanceOffsetMs();
  const startedAt = Number(ended.startNs) / 1e6 - offsetMs;
  const endedAt = Number(ended.endNs) / 1e6 - offsetMs;
  const windowMs = endedAt - startedAt;
  const reportText = via === 'fd' ? ended.report : via === 'stderr' ? stderrTail : '';
  let timing: CommandTiming | null = null;
  if (ended.stage === 'ran') {
    timing = spec.bare ? { report: asLauncherReport(ended), commandMs: windowMs, phases: { command: windowMs } } : null;
    timing ??= reportedTiming(via, reportText, startedAt, endedAt, offsetMs, ended.exitCode, ended.signal);
  }
  const usage = group?.usage();
  const exitCode = timing ? timing.report.exitCode : ended.exitCode;
  const exitSignal = timing ? timing.report.signal : ended.signal;
  const outcome =
    ended.stage === 'exec'
      ? { outcome: 'error' as const, error: `spawn ${tool} ${errnoName(ended.errno)}` }
      : describeExit(exitCode, exitSignal, ended.timedOut, spec.timeoutMs, (usage?.oomKills ?? 0) > 0, spec.memoryBytes);
  let errText = stderr.text();
  if (via === 'stderr' && !stderr.truncated) errText = errText.slice(0, errText.length - reportLineLength(errText));
  const measured = measuredFields(usage, timing);
  return {
    backend,
    ...outcome,
    exitCode: ended.stage === 'exec' ? null : exitCode,
    signal: ended.stage === 'exec' ? null : exitSignal,
    stdout: stdout.text(),
    stderr: errText,
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    phases: timing ? { ...timing.phases } : { run: windowMs },
    ...measured,
    timer: timing ? (spec.bare ? 'spawner' : 'launcher') : null,
    untimed: { setupMs: startedAt - calledAt, teardownMs: performance.now() - endedAt },
    [TIMED_WINDOW]: { startedAt, endedAt },
  };
}

/** The spawner's own wait4 of a bare command, in the launcher's report shape. */
function asLauncherReport(ended: SpawnerDone): LauncherReport {
  return {
    startNs: ended.startNs,
    endNs: ended.endNs,
    exitCode: ended.exitCode,
    signal: ended.signal,
    userCpuMs: ended.userCpuMs,
    systemCpuMs: ended.systemCpuMs,
    peakMemoryBytes: ended.peakMemoryBytes,
    key: null,
  };
}

function setupWhat(spec: SpawnedRunSpec): string {
  const groups = [...(spec.group?.dirs ?? []), ...(spec.containment?.dirs ?? [])];
  return `entering ${spec.cwd}${groups.length > 0 ? ` and joining ${groups.join(', ')}` : ''}`;
}

/**
 * Places the phases the working directory's layer adds around a spawned run (closeLayer): the
 * layer made before the window (it could be made ahead, as a pool does) and its discard after it
 * (it could be deferred) become the run's untimed set-up and teardown; `keep`, the copy of the
 * declared outputs back, is what the overlay itself costs each run and nothing can do ahead, so it
 * stays timed: the record is the spawner's window followed by it.
 */
export function layerAroundWindow(result: TimedResult): TimedResult {
  const untimed = { ...(result.untimed ?? { setupMs: 0, teardownMs: 0 }) };
  const phases: Record<string, number> = {};
  for (const [name, ms] of Object.entries(result.phases)) {
    if (name === 'layer') untimed.setupMs += ms;
    else if (name === 'discard') untimed.teardownMs += ms;
    else phases[name] = ms;
  }
  const window = result[TIMED_WINDOW];
  const keepMs = phases.keep ?? 0;
  return {
    ...result,
    phases,
    untimed,
    ...(window === undefined ? {} : { [TIMED_WINDOW]: { startedAt: window.startedAt, endedAt: window.endedAt + keepMs } }),
  };
}
