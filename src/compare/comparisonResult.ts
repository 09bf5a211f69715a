/*
 * What a comparison returns, and what comparing it with a saved one adds: types only, so that
 * compareBackends.ts and savedBaseline.ts both import them and neither imports the other.
 */
import type { BackendName } from '../runners/types';
import type { HarnessCost } from '../runners/host/harnessCost';
import type { Interval } from '../stats/intervals';
import type { RankSumTest } from '../stats/twoSample';
import type { MachineFingerprint } from '../machine/fingerprint';
import type { MitigationSaving } from './mitigations';
import type { ThroughputFigures } from './throughput';
import type { AdaptiveLimits, StopReason } from './precision';
import type { BackendComparison } from './summarizeBackends';
import type { CommandResolution, ResolutionDifference } from './resolution';

export interface ComparisonResult {
  command: string[];
  /** Timed rounds run (each backend ran once per round). */
  runs: number;
  /** Warm-up rounds run (with `--warmup auto`, as many as it took). */
  warmup: number;
  warmupMode: 'fixed' | 'auto';
  /** What ended the timed rounds: the fixed count, the precision reached, or a limit. */
  stoppedBy: StopReason;
  /** The adaptive target and limits, when `--runs auto`. */
  adaptive: AdaptiveLimits | null;
  /** Worst precision at the end (fraction, see precision.ts); null below two rounds. */
  precision: number | null;
  baseline: BackendName;
  startedAt: string;
  machine: { node: string; platform: string; cpus: number; cpuModel: string };
  fingerprint: MachineFingerprint | null;
  backends: BackendComparison[];
  /**
   * The harness's own cost per run, measured at start-up (`compare` does; see harnessCost.ts):
   * inside each host run's timed window and outside it. Absent where nothing measured it.
   */
  harness?: HarnessCost;
  /** What the comparison is called (hyperfine's `-n`, or the command as typed in hyperfine's form); absent: its argv names it. */
  name?: string;
  /** The values of the parameters it ran with (`-P`, `-L`), as text, as hyperfine records them. */
  parameters?: Record<string, string>;
  /** Against a saved comparison (`compare --baseline NAME`), when asked. */
  againstBaseline?: BaselineComparison;
  /**
   * What each mitigation compared (docker-warm, docker-pool, gvisor-pool) saved against its
   * unmitigated backend; absent in results saved before it existed.
   */
  mitigations?: MitigationSaving[];
  /** Each backend under load (`throughput` option, `--concurrency`, `--rate`): closed loop first, then the open stream. */
  throughput?: ThroughputFigures[];
  /**
   * What the command resolved to in each backend's sandbox, in the order compared: the program's
   * path and SHA-256 and the root file system (resolveCommand.ts). Absent in results saved before it.
   */
  resolutions?: CommandResolution[];
  /** The mitigation pairs whose resolutions differ (so their saving is not the mitigation's alone); empty when none. */
  resolutionDifferences?: ResolutionDifference[];
}

export interface BackendChange {
  backend: BackendName;
  /** What is compared: the baseline backend's run time, or another backend's per-round overhead. */
  metric: 'duration' | 'overhead';
  savedMeanMs: number | null;
  todayMeanMs: number | null;
  /** today − saved (ms), Welch interval. */
  change: Interval | null;
  test: RankSumTest | null;
  hodgesLehmannMs: number | null;
  verdict: 'higher' | 'lower' | 'no significant change' | 'too few runs';
}

export interface BaselineComparison {
  name: string;
  savedAt: string;
  sameCommand: boolean;
  /** Fields of the machine's fingerprint that differ (`kernel: "a" → "b"`); empty when comparable. */
  machineDifferences: string[];
  backends: BackendChange[];
}
