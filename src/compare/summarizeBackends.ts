/**
 * From the rounds a comparison ran to what it reports, per backend: hyperfine's descriptive
 * statistics, 95 % intervals of the mean and the median, outliers, phases, CPU, and against the
 * baseline the paired statistics (stats/paired.ts) next to hyperfine's "X ± Y times" ratio.
 * Pure: the same rounds give the same report (the bootstrap has a fixed seed).
 */
import type { BackendName } from '../runners/types';
import { backendEntry } from '../runners/backendNames';
import { summarize, type SampleSummary } from '../stats/descriptive';
import { medianInterval, meanInterval, type Interval } from '../stats/intervals';
import { outlierIndexes } from '../stats/outliers';
import { pairedComparison, pairedRounds, type PairedComparison } from '../stats/paired';
import { differenceWithError, ratioWithError, type Difference, type Ratio } from '../stats/ratio';
import type { CpuTimes } from './childCpu';
import { successes } from './precision';
import { isolationOf } from './isolation';
import type { IsolationCost } from '../stats/isolationCost';

export interface PhaseSummary {
  phase: string;
  meanMs: number;
  medianMs: number;
}

/** What one backend's rounds left behind (collected by compareBackends). */
export interface BackendRounds {
  backend: BackendName;
  /** Duration of each round's run (ms), null where it failed. */
  roundsMs: (number | null)[];
  /** The command's own time in each round (ms), null where the run failed or the backend could not time it; absent: never timed. */
  commandMs?: (number | null)[];
  /** Exit code of each round's run (null: killed or never started). */
  exitCodes: (number | null)[];
  /** CPU of each successful run where it could be measured (see childCpu.ts), else null. */
  cpu: (CpuTimes | null)[];
  phases: Record<string, number>[];
  failures: number;
  firstError: string | null;
  prepareMs: number;
  teardownMs: number;
  warmupRuns: number;
}

export interface BackendComparison {
  backend: BackendName;
  /** Durations of the successful timed runs, in run order (ms, from the monitor's records). */
  durationsMs: number[];
  /** Duration per interleaved round, null where that round's run failed: round i of each backend is a pair. */
  roundsMs: (number | null)[];
  exitCodes: (number | null)[];
  failures: number;
  /** The first failure's reason, if any. */
  firstError: string | null;
  summary: SampleSummary;
  /** 95 % intervals (null with too few runs: 2 for the mean, 6 for the median). */
  intervals: { mean: Interval | null; median: Interval | null };
  /** Mean user and system CPU per run (ms), null where the backend's processes are not ours to account. */
  cpu: CpuTimes | null;
  /** Who counted `cpu` where it is not the host's kernel (`gVisor`: its own count of its tasks' time), else null. */
  cpuCountedBy: string | null;
  /** Indexes into durationsMs flagged by the modified z-score (MAD). */
  outliers: number[];
  phases: PhaseSummary[];
  /** Mean against the baseline's mean, "X ± Y times"; null for the baseline or a zero mean. */
  ratio: Ratio | null;
  /** Mean minus the baseline's mean, ms ± propagated σ; null for the baseline. */
  overheadMs: Difference | null;
  /** Against the baseline over the paired rounds: intervals, Wilcoxon p-value, Hodges-Lehmann shift, verdict. */
  paired: PairedComparison | null;
  /**
   * The whole cost of isolation against `none`, paired by round (see compare/isolation.ts): fixed
   * (around the command) + inCommand = total, with low/high bounding total. Null without `none`
   * among the backends or below two rounds where both runs succeeded and were timed.
   */
  isolationMs: IsolationCost | null;
  prepareMs: number;
  teardownMs: number;
  warmupRuns: number;
}

function summarizePhases(phases: readonly Record<string, number>[]): PhaseSummary[] {
  const byPhase = new Map<string, number[]>();
  for (const p of phases) {
    for (const [phase, ms] of Object.entries(p)) {
      let list = byPhase.get(phase);
      if (!list) byPhase.set(phase, (list = []));
      list.push(ms);
    }
  }
  return [...byPhase].map(([phase, values]) => {
    const s = summarize(values);
    return { phase, meanMs: s.meanMs, medianMs: s.medianMs };
  });
}

function meanCpu(cpu: readonly (CpuTimes | null)[]): CpuTimes | null {
  const known = cpu.filter((c): c is CpuTimes => c !== null);
  if (known.length === 0) return null;
  return {
    userMs: known.reduce((s, c) => s + c.userMs, 0) / known.length,
    systemMs: known.reduce((s, c) => s + c.systemMs, 0) / known.length,
  };
}

export function summarizeBackends(all: readonly BackendRounds[], baselineIndex: number): BackendComparison[] {
  const base = all[baselineIndex];
  const baselineSummary = summarize(base ? successes(base.roundsMs) : []);
  return all.map((r, b): BackendComparison => {
    const d = successes(r.roundsMs);
    const summary = summarize(d);
    const isBaseline = b === baselineIndex;
    const comparable = !isBaseline && summary.count > 0 && baselineSummary.count > 0;
    const pairs = base && !isBaseline ? pairedRounds(r.roundsMs, base.roundsMs) : null;
    const cpu = meanCpu(r.cpu);
    return {
      backend: r.backend,
      durationsMs: d,
      roundsMs: r.roundsMs,
      exitCodes: r.exitCodes,
      failures: r.failures,
      firstError: r.firstError,
      summary,
      intervals: { mean: meanInterval(d), median: medianInterval(d) },
      cpu,
      cpuCountedBy: cpu === null ? null : (backendEntry(r.backend).cpuCountedBy ?? null),
      outliers: outlierIndexes(d),
      phases: summarizePhases(r.phases),
      ratio: comparable ? ratioWithError(summary.meanMs, summary.stddevMs, baselineSummary.meanMs, baselineSummary.stddevMs) : null,
      overheadMs: comparable
        ? differenceWithError(summary.meanMs, summary.stddevMs, baselineSummary.meanMs, baselineSummary.stddevMs)
        : null,
      paired: pairs && pairs.a.length > 0 ? pairedComparison(pairs.a, pairs.b) : null,
      isolationMs: isolationOf(r, all),
      prepareMs: r.prepareMs,
      teardownMs: r.teardownMs,
      warmupRuns: r.warmupRuns,
    };
  });
}
