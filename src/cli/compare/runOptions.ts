/**
 * compare's flags that hyperfine users know, read into CompareOptions: `--runs N|auto` (`-r`),
 * `--warmup N|auto` (`-w`), `--precision P%`, `--min-runs` (`-m`), `--max-runs` (`-M`),
 * `--max-time SECONDS`. Usage errors name the flag and show a valid example.
 */
import type { AdaptiveLimits } from '../../compare/precision';
import { flagExpectation } from '../../validation';
import { UsageError } from '../command';

/** Largest --runs: a comparison of this size already takes hours; a typo must not run forever. */
export const MAX_RUNS = 100_000;
export const MAX_WARMUP = 10_000;

export const ADAPTIVE_DEFAULTS: AdaptiveLimits = { precision: 0.05, minRuns: 10, maxRuns: 200, maxTimeMs: 300_000 };

function countOrAuto(flag: string, raw: string, min: number, max: number): number | 'auto' {
  if (raw.trim() === 'auto') return 'auto';
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(
      `${flagExpectation(`--${flag}`, `a decimal integer from ${min} to ${max} or 'auto'`, raw)} (e.g. --${flag} ${Math.max(min, 1) * 10} or --${flag} auto)`,
    );
  }
  return n;
}

/** `5%`, `5` or `0.5%` → 0.05, 0.05, 0.005. */
export function parsePrecision(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(raw);
  const percent = m ? Number(m[1]) : Number.NaN;
  if (!(percent > 0 && percent < 100)) {
    throw new UsageError(`${flagExpectation('--precision', 'a percentage > 0 and < 100', raw)} (e.g. --precision 5%)`);
  }
  return percent / 100;
}

export interface RunPlan {
  runs: number;
  adaptive?: AdaptiveLimits;
  warmup: number | 'auto';
}

/** From the parsed flags; `--runs auto` is implied by --precision, --min-runs, --max-runs or --max-time. */
export function runPlan(flags: Record<string, unknown>): RunPlan {
  const runs = flags.runs === undefined ? undefined : countOrAuto('runs', flags.runs as string, 1, MAX_RUNS);
  const warmup = flags.warmup === undefined ? 1 : countOrAuto('warmup', flags.warmup as string, 0, MAX_WARMUP);
  const adaptiveFlags = ['precision', 'min-runs', 'max-runs', 'max-time'].filter((f) => flags[f] !== undefined);
  // A bad value is named first: `-r 2 --precision abc` said only that --precision needs adaptive runs.
  const precision = flags.precision === undefined ? ADAPTIVE_DEFAULTS.precision : parsePrecision(flags.precision as string);
  if (typeof runs === 'number') {
    if (adaptiveFlags.length > 0) {
      throw new UsageError(`--${adaptiveFlags[0]} applies to adaptive runs; drop --runs ${runs} or write --runs auto`);
    }
    return { runs, warmup };
  }
  if (runs === undefined && adaptiveFlags.length === 0) return { runs: 10, warmup };
  const limits: AdaptiveLimits = {
    precision,
    minRuns: (flags['min-runs'] as number | undefined) ?? ADAPTIVE_DEFAULTS.minRuns,
    maxRuns: (flags['max-runs'] as number | undefined) ?? ADAPTIVE_DEFAULTS.maxRuns,
    maxTimeMs: flags['max-time'] === undefined ? ADAPTIVE_DEFAULTS.maxTimeMs : (flags['max-time'] as number) * 1000,
  };
  if (limits.minRuns > limits.maxRuns) {
    throw new UsageError(`--min-runs (${limits.minRuns}) is above --max-runs (${limits.maxRuns}); lower one of them`);
  }
  return { runs: limits.maxRuns, adaptive: limits, warmup };
}
