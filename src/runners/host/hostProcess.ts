import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import fs from 'node:fs';
import path from 'node:path';
import { boundedOutputs, type OutputListener } from '../BoundedOutput';
import { JOIN_SCRIPT, type RunCgroup } from './cgroupV1';
import type { ContainmentGroup } from './containmentGroup';
import { afterSignalCleanup, registerRun } from '../inFlightRuns';
import { killProcessGroup } from '../processGroup';
import type { BackendName, SandboxResult } from '../types';
import {
  holdBackReport,
  monotonicToPerformance,
  parseLauncherReport,
  performanceOffsetMs,
  reportAgreesWithExit,
  reportLineLength,
  type ReportVia,
} from './launcher';
import { measuredFields, type CommandTiming } from './runMeasures';

/** Where execvp looks for `name`: that path itself when it holds a slash, else each non-empty PATH entry in order. */
function candidatePaths(name: string, pathVar: string, cwd: string): string[] {
  return name.includes('/')
    ? [path.resolve(cwd, name)]
    : pathVar
        .split(':')
        .filter(Boolean)
        .map((dir) => path.join(dir, name));
}

/** Finds `name` the way execvp would with this PATH; null when there is no such executable. */
export function findExecutable(name: string, pathVar: string, cwd: string): string | null {
  for (const file of candidatePaths(name, pathVar, cwd)) {
    // Runs inside the timed run, and most PATH directories do not hold the program: a miss must not
    // throw (with an exception per miss, this lookup took 0.10 ms of each `compare` run here; now 0.06).
    try {
      if (fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      }
    } catch {
      // Not executable, or a PATH entry that is not a directory: try the next one.
    }
  }
  return null;
}

/**
 * Why `name` cannot be run, told the way a shell would: a directory (EISDIR) or a file without
 * execute permission (EACCES) found where the program was looked for, else not found (ENOENT).
 */
export function whyNotExecutable(name: string, pathVar: string, cwd: string): string {
  for (const file of candidatePaths(name, pathVar, cwd)) {
    const stats = fs.statSync(file, { throwIfNoEntry: false });
    if (stats?.isDirectory() && name.includes('/')) return `spawn ${name} EISDIR: ${file} is a directory, not a program`;
    if (stats?.isFile()) return `spawn ${name} EACCES: ${file} is not executable (chmod +x it, or run it through its interpreter)`;
  }
  return `spawn ${name} ENOENT`;
}

export interface HostRunSpec {
  backend: BackendName;
  /** What the user asked to run. */
  command: readonly string[];
  /** What is spawned: the sandbox tool's argv followed by the command. */
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Sees every chunk as it arrives (RunOptions.onOutput). */
  onOutput?: OutputListener | undefined;
  /** The cgroup v1 group (with its limits) to run in, this run's alone while it lasts; or null. */
  group: RunCgroup | null;
  /** The freezer group that holds every process of the run (`none`), or null. */
  containment: ContainmentGroup | null;
  /** For the message of a run killed at its memory limit. */
  memoryBytes: number | undefined;
  /**
   * How the launcher in `argv` (if any) reports: on descriptor 3 (a pipe of this runner) or as the
   * last line of standard error (sandboxes that pass no other descriptor in). Null: no launcher.
   */
  launcher?: 'fd' | 'stderr' | null;
}

export function failedResult(backend: BackendName, error: string, phases: Record<string, number> = {}): SandboxResult {
  return {
    backend,
    outcome: 'error',
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    phases,
    cpuMs: null,
    peakMemoryBytes: null,
    error,
  };
}

/** The outcome and error text for how a command ended. */
export function describeExit(
  exitCode: number | null,
  signal: string | null,
  timedOut: boolean,
  timeoutMs: number,
  oomKilled: boolean,
  memoryBytes: number | undefined,
): Pick<SandboxResult, 'outcome' | 'error'> {
  if (timedOut) return { outcome: 'timeout', error: `timed out after ${timeoutMs} ms` };
  if (oomKilled) return { outcome: 'error', error: `killed: memory limit of ${memoryBytes ?? '?'} bytes reached` };
  if (exitCode === 0) return { outcome: 'success', error: null };
  if (signal) return { outcome: 'error', error: `killed by ${signal}` };
  return { outcome: 'error', error: `exited with code ${exitCode}` };
}

const CLOSE_GRACE_MS = 2000;

/**
 * Runs a command as a host process in a new process group (and cgroups when given), with a
 * timeout. When the command ends, whatever it left behind in its process group and cgroups is
 * killed (the backend's namespaces kill the rest), so a run leaves no process running; so does a
 * SIGINT/SIGTERM of this process (inFlightRuns). Phases: `setup` (PATH check, accounting window
 * opened), `run` (spawn to exit and output closed; with the launcher, `spawn` + `command` + `exit`,
 * or `sandbox` + `command`, see commandTiming), `cleanup` (accounting read).
 */
export async function runHostProcess(spec: HostRunSpec): Promise<SandboxResult> {
  let t = performance.now();
  const { backend, command, env, cwd } = spec;
  const phases: Record<string, number> = {};
  const program = command[0] as string;
  // Checked on the host because these backends see the host's filesystem: spawn's own ENOENT
  // would name the sandbox tool, not the command.
  if (findExecutable(program, env.PATH ?? '', cwd) === null) return failedResult(backend, whyNotExecutable(program, env.PATH ?? '', cwd));

  const group = spec.group;
  group?.begin();
  phases.setup = performance.now() - t;

  const joins = [...(group?.dirs ?? []), ...(spec.containment?.dirs ?? [])];
  const argv =
    joins.length > 0 ? ['/bin/sh', '-c', JOIN_SCRIPT, 'sandbox-perf-join', String(joins.length), ...joins, ...spec.argv] : spec.argv;
  const via = spec.launcher ?? null;
  const held = via === 'stderr' ? holdBackReport(spec.onOutput) : null;
  const { stdout, stderr } = boundedOutputs(spec.maxOutputBytes, held ? held.listener : spec.onOutput);
  // The launcher's line: at most one short line on its own pipe, or the tail of standard error.
  let reportText = '';
  let timedOut = false;
  let spawnError: Error | undefined;

  const offsetMs = via === null ? 0 : performanceOffsetMs();
  t = performance.now();
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd,
    env,
    detached: true,
    stdio: via === 'fd' ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
  }) as ChildProcessByStdio<null, Readable, Readable>;
  const reportPipe = via === 'fd' ? (child.stdio[3] as Readable | null) : null;
  reportPipe?.on('data', (chunk: Buffer) => {
    if (reportText.length < REPORT_MAX) reportText += chunk.toString('latin1');
  });
  if (via === 'stderr') {
    child.stderr.on('data', (chunk: Buffer) => {
      reportText = (reportText + chunk.toString('latin1')).slice(-REPORT_MAX);
    });
  }
  const killEverything = (): void => {
    killProcessGroup(child.pid);
    spec.containment?.killAll();
    group?.killAll();
  };
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      spawnError = error;
      resolve({ code: null, signal: null });
    });
  });
  const timer = setTimeout(() => {
    timedOut = true;
    killEverything();
  }, spec.timeoutMs);
  // SIGINT/SIGTERM of this process: the run is killed and its output closed before the process exits.
  const unregister = registerRun(`${backend} run (pid ${child.pid ?? '?'})`, async () => {
    killEverything();
    await closed;
  });
  const { code, signal } = await exited;
  clearTimeout(timer);
  // Background processes the command started die with it: a sandbox run leaves nothing behind.
  killEverything();
  const grace = setTimeout(() => {
    child.stdout.destroy();
    child.stderr.destroy();
    reportPipe?.destroy();
  }, CLOSE_GRACE_MS);
  await closed;
  const closedAt = performance.now();
  held?.finish();
  clearTimeout(grace);
  unregister();
  await afterSignalCleanup();
  const timing = spawnError ? null : reportedTiming(via, reportText, t, closedAt, offsetMs, code, signal);
  if (timing === null) phases.run = closedAt - t;
  else Object.assign(phases, timing.phases);

  t = performance.now();
  const usage = group?.usage();
  if (group) phases.cleanup = performance.now() - t;

  // The launcher saw the command's own wait status; the sandbox tool in between may have changed it.
  const exitCode = timing ? timing.report.exitCode : code;
  const exitSignal = timing ? timing.report.signal : signal;
  const ended = spawnError
    ? { outcome: 'error' as const, error: spawnError.message }
    : describeExit(exitCode, exitSignal, timedOut, spec.timeoutMs, (usage?.oomKills ?? 0) > 0, spec.memoryBytes);
  let errText = stderr.text();
  if (via === 'stderr' && !stderr.truncated) errText = errText.slice(0, errText.length - reportLineLength(errText));
  return {
    backend,
    ...ended,
    exitCode,
    signal: exitSignal,
    stdout: stdout.text(),
    stderr: errText,
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    phases,
    ...measuredFields(usage, timing),
  };
}

/**
 * The command's time from the launcher's report, read `via` its descriptor or standard error (null:
 * the run has no launcher). The descriptor's report is the launcher's alone; one on standard error,
 * which the command shares, must agree with how the run ended (`exitCode`, `signal`).
 */
export function reportedTiming(
  via: ReportVia | null,
  reportText: string,
  spawnedAt: number,
  closedAt: number,
  offsetMs: number,
  exitCode: number | null,
  signal: string | null,
): CommandTiming | null {
  if (via === null) return null;
  return commandTiming(reportText, spawnedAt, closedAt, offsetMs, via === 'stderr' ? { exitCode, signal, key: null } : undefined);
}

/** Longest launcher report kept (the line is under 100 bytes). */
const REPORT_MAX = 256;

/**
 * The command's time from the launcher's report, checked against what this runner saw (the report
 * is untrusted: a command can at most shift its own split, never beyond the run). Where the
 * launcher's clock is this process's (host namespaces share CLOCK_MONOTONIC) the run splits into
 * `spawn` (runner spawn to command start: fork, sandbox set-up, launcher start), `command` and
 * `exit` (command exit to every pipe closed: sandbox teardown, reap); where it is not (gVisor's
 * clock is its own), into `sandbox` (both ends together) and `command`.
 *
 * `seen`: how the run ended as the kernel or the engine says, for a report read from standard
 * error, which the command shares: the report is taken only where it agrees with that end
 * (reportAgreesWithExit) and carries the run's key, if it has one (null: none); a line a process
 * the command left behind wrote after the launcher's gets no say in the run's status or time.
 */
export function commandTiming(
  reportText: string,
  spawnedAt: number,
  closedAt: number,
  offsetMs: number,
  seen?: { exitCode: number | null; signal: string | null; key: string | null },
): CommandTiming | null {
  const report = parseLauncherReport(reportText, seen === undefined ? 'fd' : 'stderr');
  if (report === null) return null;
  if (seen !== undefined && (report.key !== seen.key || !reportAgreesWithExit(report, seen.exitCode, seen.signal))) return null;
  const commandMs = Number(report.endNs - report.startNs) / 1e6;
  const runMs = closedAt - spawnedAt;
  if (!(commandMs >= 0 && commandMs <= runMs)) return null;
  const start = monotonicToPerformance(report.startNs, offsetMs);
  const end = start + commandMs;
  if (start >= spawnedAt && end <= closedAt) {
    return { report, commandMs, phases: { spawn: start - spawnedAt, command: commandMs, exit: closedAt - end } };
  }
  return { report, commandMs, phases: { sandbox: runMs - commandMs, command: commandMs } };
}
