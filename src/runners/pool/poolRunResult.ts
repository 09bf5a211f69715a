import { describeExit, failedResult } from '../host/hostProcess';
import { measuredFields } from '../host/runMeasures';
import { launcherSpawnError, parseLauncherReport } from '../host/launcher';
import type { BackendName, SandboxResult } from '../types';
import { splitPhases } from './agentProtocol';
import type { HandOff } from './PooledSandbox';

/**
 * A pool run's result from what its hand-off brought back: the agent's exit report, the
 * launcher's wait4 line (untrusted: parsed strictly) and the output. `phases` holds the acquire
 * phase; hand-off, command and result are added from the agent's timestamps.
 */
export function poolRunResult(
  backend: BackendName,
  handOff: Extract<HandOff, { kind: 'ran' }>,
  command: readonly string[],
  phases: Record<string, number>,
  limits: { timeoutMs: number; memoryBytes: number | undefined },
): SandboxResult {
  const { report, stdout, stderr } = handOff;
  if (report === null) {
    const reason = handOff.hostTimedOut
      ? `timed out after ${limits.timeoutMs} ms (the agent did not stop the command)`
      : (handOff.failure ?? 'no report');
    const outcome = handOff.hostTimedOut ? 'timeout' : 'error';
    return { ...failedResult(backend, reason, phases), outcome, stdout: stdout.text(), stderr: stderr.text() };
  }
  const split = splitPhases(handOff.written, handOff.reported, report);
  // The launcher's wait4 report (untrusted: parsed strictly, ignored when malformed or after a timeout's kill).
  const usage = report.usage === null || report.timedOut ? null : parseLauncherReport(report.usage);
  phases['hand-off'] = split.handOffMs;
  // The agent and the launcher read the same clock (the sandbox's): the agent's part of the
  // command phase splits into spawn (its fork, the launcher's start) and exit (reap, output
  // drained) around the launcher's, so `command` is `commandMs`, as on the other backends. Not
  // when splitPhases had to clamp the agent's interval to the host's (clocks that disagree).
  const unclamped = split.commandMs === Number(report.exited - report.received) / 1e6;
  if (usage && unclamped && report.received <= usage.startNs && usage.endNs <= report.exited) {
    phases.spawn = Number(usage.startNs - report.received) / 1e6;
    phases.command = Number(usage.endNs - usage.startNs) / 1e6;
    phases.exit = Number(report.exited - usage.endNs) / 1e6;
  } else {
    phases.command = split.commandMs;
  }
  phases.result = split.resultMs;
  const spawnErrno = report.usage === null ? null : launcherSpawnError(report.usage);
  if (spawnErrno !== null) {
    const failure = `spawn ${command[0] as string} ${spawnErrno === 2 ? 'ENOENT' : `errno ${spawnErrno}`}`;
    return { ...failedResult(backend, failure, phases), stdout: stdout.text(), stderr: stderr.text() };
  }
  const code = report.timedOut ? null : (usage?.exitCode ?? report.code);
  const signal = report.timedOut ? 'SIGKILL' : usage ? usage.signal : report.signal;
  const ended =
    report.error !== null
      ? { outcome: 'error' as const, error: report.error }
      : describeExit(code, signal, report.timedOut, limits.timeoutMs, false, limits.memoryBytes);
  return {
    backend: backend,
    ...ended,
    exitCode: code,
    signal,
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    phases,
    // The launcher's spawn-to-reap and wait4 when there is one, else the agent's request-to-exit (its spawn included).
    ...(usage
      ? measuredFields(null, { report: usage, commandMs: Number(usage.endNs - usage.startNs) / 1e6, phases: {} })
      : { cpuMs: null, peakMemoryBytes: null, commandMs: split.commandMs, cpuTimes: null, timer: 'pool-agent' }),
  };
}
