import type { ComparisonResult } from '../../compare/compareBackends';
import { shellQuote } from '../../shellQuote';

/**
 * hyperfine's --export-json shape, exactly: `{ "results": [ … ] }`, one result per backend, the
 * command named `<backend>: <argv as a shell would quote it>`, every time in seconds, `stddev`
 * null with a single run (as hyperfine writes it). `times` and `exit_codes` cover the successful
 * timed runs, in run order. `user` and `system` are mean CPU seconds per run where they were
 * measured (the launcher timer, or this process's reaped children: compare/childCpu.ts), else 0. So hyperfine's own
 * scripts (advanced_statistics.py, plot_*.py) and tools reading its format read ours.
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
}

const s = (ms: number): number => ms / 1000;

export function hyperfineResults(result: ComparisonResult): { results: HyperfineResult[] } {
  const command = shellQuote(result.command);
  return {
    results: result.backends.map((b) => {
      const exitCodes = b.exitCodes.filter((_, i) => b.roundsMs[i] !== null && b.roundsMs[i] !== undefined);
      return {
        command: `${b.backend}: ${command}`,
        mean: s(b.summary.meanMs),
        stddev: b.summary.count > 1 ? s(b.summary.stddevMs) : null,
        median: s(b.summary.medianMs),
        user: s(b.cpu?.userMs ?? 0),
        system: s(b.cpu?.systemMs ?? 0),
        min: s(b.summary.minMs),
        max: s(b.summary.maxMs),
        times: b.durationsMs.map(s),
        exit_codes: exitCodes.map((c) => c ?? 0),
      };
    }),
  };
}

export function comparisonToHyperfine(result: ComparisonResult): string {
  return `${JSON.stringify(hyperfineResults(result), null, 2)}\n`;
}
