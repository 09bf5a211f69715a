import { describeExit, failedResult } from '../hostProcess';
import { measuredFields } from '../runMeasures';
import { launcherSpawnError, parseLauncherReport } from '../launcher';
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
  phases['hand-off'] = split.handOffMs;
  phases.command = split.commandMs;
  phases.result = split.resultMs;
  const spawnErrno = report.usage === null ? null : launcherSpawnError(report.usage);
  if (spawnErrno !== null) {
    const failure = `spawn ${command[0] as string} ${spawnErrno === 2 ? 'ENOENT' : `errno ${spawnErrno}`}`;
    return { ...failedResult(backend, failure, phases), stdout: stdout.text(), stderr: stderr.text() };
  }
  // The launcher's wait4 report (untrusted: parsed strictly, ignored when malformed or after a timeout's kill).
  const usage = report.usage === null || report.timedOut ? null : parseLauncherReport(report.usage);
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
