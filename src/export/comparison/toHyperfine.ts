import type { BackendComparison, ComparisonResult } from '../../compare/compareBackends';
import { comparisonList, comparisonName } from './names';

/**
 * hyperfine's --export-json shape, exactly: `{ "results": [ … ] }`, one result per backend and
 * comparison, the command named `<backend>: <name>` (the name: `-n`, the command as typed in
 * hyperfine's form, else the argv as a shell would quote it), every time in seconds, `stddev` null
 * with a single run (as hyperfine writes it), and `parameters` (name → value as text) when the
 * comparison had any. `times` and `exit_codes` cover the measured timed runs, in run order. `user`
 * and `system` are mean CPU seconds per run where they were measured (the launcher timer, or this
 * process's reaped children: compare/childCpu.ts), else 0. So hyperfine's own scripts
 * (advanced_statistics.py, plot_*.py, welch_ttest.py) and tools reading its format read ours.
 *
 * A backend with no measured run is left out: hyperfine never writes a result without times, and
 * its scripts take percentiles and minima of `times` (an empty list raises IndexError in
 * advanced_statistics.py). What was left out, and why, is returned beside the results.
 */
export interface HyperfineResult {
  command: string;
  mean: number;
  stddev: number | null;
  median: number;
  user: number;
  system: number;
  min: number;
  max: number;
  times: number[];
  exit_codes: number[];
  parameters?: Record<string, string>;
}

export interface HyperfineExport {
  results: HyperfineResult[];
  /** The backends left out, each as `<backend>: <name>`, with the reason (the first failure). */
  leftOut: { command: string; reason: string }[];
}

const s = (ms: number): number => ms / 1000;

/** One backend of one comparison in hyperfine's shape, or null when it has no measured run. */
export function hyperfineResult(result: ComparisonResult, b: BackendComparison): HyperfineResult | null {
  if (b.summary.count === 0) return null;
  const exitCodes = b.exitCodes.filter((_, i) => b.roundsMs[i] !== null && b.roundsMs[i] !== undefined);
  const parameters = result.parameters ?? {};
  return {
    command: `${b.backend}: ${comparisonName(result)}`,
    mean: s(b.summary.meanMs),
    stddev: b.summary.count > 1 ? s(b.summary.stddevMs) : null,
    median: s(b.summary.medianMs),
    user: s(b.cpu?.userMs ?? 0),
    system: s(b.cpu?.systemMs ?? 0),
    min: s(b.summary.minMs),
    max: s(b.summary.maxMs),
    times: b.durationsMs.map(s),
    exit_codes: exitCodes.map((c) => c ?? 0),
    ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
  };
}

export function hyperfineResults(comparisons: ComparisonResult | readonly ComparisonResult[]): HyperfineExport {
  const out: HyperfineExport = { results: [], leftOut: [] };
  for (const result of comparisonList(comparisons)) {
    for (const b of result.backends) {
      const one = hyperfineResult(result, b);
      if (one) out.results.push(one);
      else
        out.leftOut.push({
          command: `${b.backend}: ${comparisonName(result)}`,
          reason: `no successful run: ${b.firstError ?? 'none ran'}`,
        });
    }
  }
  return out;
}

export function comparisonToHyperfine(comparisons: ComparisonResult | readonly ComparisonResult[]): string {
  return `${JSON.stringify({ results: hyperfineResults(comparisons).results }, null, 2)}\n`;
}
