import { toRunDetails, type SandboxRun } from '../../runners/runInSandbox';
import type { SandboxPerfRecord, SandboxRunDetails } from '../../sandbox/types';
import type { CommandLine } from '../../runners/host/commandLine';

/** What a run's details hold, each present: null where the backend could not tell. */
type EveryDetail = { [K in Exclude<keyof SandboxRunDetails, 'canaryRound'>]-?: Exclude<SandboxRunDetails[K], undefined> | null };

/**
 * One run as `run --json` prints it: the record, the details recorded with it (toRunDetails, the
 * one list of what a backend adds) with the decomposition, and the setup outside the record.
 */
export type RunJson = SandboxPerfRecord & EveryDetail & RunSetup;

interface RunSetup {
  /** prepare + teardown of a backend created for this run, outside durationMs. */
  setupMs: number | null;
  /** The runner's own work around this run's timed window, outside durationMs (host backends). */
  untimed: { setupMs: number; teardownMs: number } | null;
  /** The exact command line the run executed and timed (host backends; `run --print-command`). */
  commandLine: CommandLine | null;
}

export function runToJson(run: SandboxRun, commandLine: CommandLine | null = null): RunJson {
  const details = toRunDetails(run.result, run.workload);
  // toRunDetails sets every detail but the decomposition (set here, null when the command was not
  // timed) and canaryRound (a canary's, not run's).
  return {
    ...run.record,
    ...(details as Omit<EveryDetail, 'commandMs' | 'overheadMs' | 'timer'>),
    commandMs: run.commandMs,
    overheadMs: run.overheadMs,
    timer: details.timer ?? null,
    setupMs: run.setup === null ? null : run.setup.prepareMs + run.setup.teardownMs,
    untimed: run.result.untimed ?? null,
    commandLine,
  };
}
