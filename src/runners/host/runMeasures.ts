import type { LauncherReport } from './launcher';
import type { SandboxResult } from '../types';

/** The command's own time from the launcher's report, checked against the run (hostProcess.commandTiming). */
export interface CommandTiming {
  report: LauncherReport;
  commandMs: number;
  phases: Record<string, number>;
}

/**
 * The measured fields of a run's result, filled alike by every backend: CPU time and peak memory
 * from the cgroup's accounting when it holds the run's alone, else from the launcher's wait4; the
 * command's own time and its user/system split from the launcher's report; null where nothing
 * measured them.
 */
export function measuredFields(
  accounting: { cpuMs?: number | null | undefined; peakMemoryBytes?: number | null | undefined } | null | undefined,
  timing: CommandTiming | null | undefined,
): Pick<SandboxResult, 'cpuMs' | 'peakMemoryBytes' | 'commandMs' | 'cpuTimes' | 'timer'> {
  return {
    cpuMs: accounting?.cpuMs ?? (timing ? timing.report.userCpuMs + timing.report.systemCpuMs : null),
    peakMemoryBytes: accounting?.peakMemoryBytes ?? timing?.report.peakMemoryBytes ?? null,
    commandMs: timing?.commandMs ?? null,
    cpuTimes: timing ? { userMs: timing.report.userCpuMs, systemMs: timing.report.systemCpuMs } : null,
    timer: timing ? 'launcher' : null,
  };
}
