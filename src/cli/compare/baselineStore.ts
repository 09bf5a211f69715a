/**
 * Saved baselines (`compare --save-baseline NAME`, `--baseline NAME`): the whole comparison as
 * JSON in `baselines/NAME.json` next to the history file. Names are short and path-safe; a file
 * that is not a comparison we wrote is refused, never overwritten or trusted.
 */
import { flagExpectation } from '../../validation';
import fs from 'node:fs';
import path from 'node:path';
import type { ComparisonResult } from '../../compare/compareBackends';
import { comparisonToJson } from '../../export/comparison';
import { UsageError } from '../command';
import { pinFolder, replaceFile } from '../../state/replaceFile';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A saved comparison of 100 000 rounds of six backends is a few tens of MB; more is not ours. */
const MAX_BYTES = 256 * 1024 * 1024;

export function baselineFile(historyPath: string, flag: string, name: string): string {
  if (!NAME.test(name) || name.includes('..')) {
    throw new UsageError(
      flagExpectation(`--${flag}`, `a name of 1 to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit)`, name),
    );
  }
  return path.join(path.dirname(historyPath), 'baselines', `${name}.json`);
}

function isComparison(value: unknown): value is ComparisonResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ComparisonResult>;
  return (
    Array.isArray(v.command) &&
    typeof v.baseline === 'string' &&
    typeof v.startedAt === 'string' &&
    Array.isArray(v.backends) &&
    v.backends.every(
      (b: unknown) =>
        typeof b === 'object' &&
        b !== null &&
        typeof (b as { backend?: unknown }).backend === 'string' &&
        Array.isArray((b as { roundsMs?: unknown }).roundsMs) &&
        (b as { roundsMs: unknown[] }).roundsMs.every((d) => d === null || (typeof d === 'number' && Number.isFinite(d))),
    )
  );
}

export function loadBaseline(file: string, name: string): ComparisonResult {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    const dir = path.dirname(file);
    const known = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .map((f) => f.slice(0, -5))
      : [];
    throw new UsageError(
      `--baseline: no saved baseline ${JSON.stringify(name)} (${known.length ? `saved: ${known.join(', ')}` : 'none saved yet; save one with --save-baseline NAME'})`,
    );
  }
  if (!stat.isFile() || stat.size > MAX_BYTES)
    throw new UsageError(`--baseline: ${file} is not a saved comparison (not a regular file of at most 256 MB)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new UsageError(`--baseline: ${file} is not a saved comparison (not JSON)`);
  }
  if (!isComparison(parsed))
    throw new UsageError(`--baseline: ${file} is not a saved comparison (no command, baseline and per-round durations)`);
  return parsed;
}

/** Checked before any run: a file in the way that is not a saved comparison is refused, not replaced. */
export function assertSavable(file: string): void {
  if (fs.existsSync(file)) {
    const stat = fs.lstatSync(file);
    let ours = false;
    if (stat.isFile() && stat.size <= MAX_BYTES) {
      try {
        ours = isComparison(JSON.parse(fs.readFileSync(file, 'utf8')));
      } catch {
        ours = false;
      }
    }
    if (!ours) throw new UsageError(`--save-baseline: ${file} exists and is not a saved comparison; it was left untouched`);
  }
}

/**
 * Writes the comparison atomically, through replaceFile: a temporary file of a random name, created
 * exclusively without following a link (a predictable `FILE.PID.tmp` written with writeFileSync
 * followed one), renamed over the old one, and removed if anything fails.
 */
export function saveBaseline(file: string, result: ComparisonResult): void {
  assertSavable(file);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const problem = replaceFile(pinFolder(path.dirname(file)), path.basename(file), comparisonToJson(result), () => null, 0o600);
  if (problem !== null) throw new Error(`--save-baseline: ${file} was not written: ${problem}`);
}
