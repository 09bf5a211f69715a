/**
 * compare's export flags: each file checked before any run, then written from the comparisons
 * (one, or a list when the call had several commands or parameters). `--export-hyperfine` writes
 * only what hyperfine's scripts can read, and stderr says which backends it left out and why.
 */
import fs from 'node:fs';
import type { ComparisonResult } from '../../compare/compareBackends';
import type { ScalingResult } from '../../compare/scaling';
import { comparisonToCsv, comparisonToHyperfine, comparisonToJson, comparisonToMarkdown, hyperfineResults } from '../../export/comparison';
import type { ExportFormat } from '../../export/comparison/recognise';
import type { TimeUnit } from '../../export/comparison/timeUnit';
import { printable } from '../../printable';
import { flagExpectation } from '../../validation';
import { canonicalPath } from '../../state/outputTarget';
import { UsageError, type CommandIo } from '../command';
import { assertExportTarget, writeExport, type CheckedExport } from '../exportFile';

const EXPORTERS = {
  'export-json': comparisonToJson,
  'export-hyperfine': comparisonToHyperfine,
  'export-csv': comparisonToCsv,
  'export-markdown': comparisonToMarkdown,
} as const;

type ExportFlag = keyof typeof EXPORTERS;

/** What an existing file must already be for each flag's export to replace it (foreignTarget.ts). */
const FORMATS: Record<ExportFlag, ExportFormat> = {
  'export-json': 'JSON',
  'export-hyperfine': 'JSON',
  'export-csv': 'CSV',
  'export-markdown': 'Markdown',
};

export interface ExportTarget extends CheckedExport {
  flag: ExportFlag;
}

/** Two exports naming one file (by any spelling, or a hard link): one would silently overwrite the other. */
function assertDistinct(targets: readonly ExportTarget[]): void {
  const seen = new Map<string, ExportTarget>();
  for (const target of targets) {
    const stat = fs.statSync(target.file, { throwIfNoEntry: false });
    const keys = [canonicalPath(target.file), ...(stat ? [`${stat.dev}:${stat.ino}`] : [])];
    const earlier = keys.map((key) => seen.get(key)).find((t) => t !== undefined);
    if (earlier !== undefined) {
      throw new UsageError(
        `${flagExpectation(`--${target.flag}`, 'a file no other export names', target.file)} (--${earlier.flag} names it too: one would overwrite the other); nothing was run`,
      );
    }
    for (const key of keys) seen.set(key, target);
  }
}

/** The files asked for, each checked before any run (exportFile.ts): a typo must not cost a whole comparison. */
export function exportTargets(flags: Readonly<Record<string, unknown>>, cwd: string, history: string): ExportTarget[] {
  const targets = (Object.keys(EXPORTERS) as ExportFlag[])
    .filter((flag) => flags[flag] !== undefined)
    .map((flag) => ({ ...assertExportTarget(flag, FORMATS[flag], flags[flag] as string, cwd, history), flag }));
  assertDistinct(targets);
  return targets;
}

export function writeExports(
  targets: readonly ExportTarget[],
  comparisons: ComparisonResult | readonly ComparisonResult[],
  timeUnit: TimeUnit | undefined,
  history: string,
  io: CommandIo,
  scaling?: ScalingResult,
): void {
  for (const target of targets) {
    const { flag } = target;
    const text =
      flag === 'export-markdown'
        ? comparisonToMarkdown(comparisons, timeUnit === undefined ? {} : { timeUnit })
        : flag === 'export-json'
          ? comparisonToJson(comparisons, scaling)
          : EXPORTERS[flag](comparisons);
    writeExport(target, history, text);
    if (flag !== 'export-hyperfine') continue;
    // The reason may end with the command's stderr: escaped before it reaches the terminal.
    for (const { command, reason } of hyperfineResults(comparisons).leftOut) {
      io.stderr.write(
        `sandbox-perf: --export-hyperfine left out ${printable(command)} (${printable(reason)}): hyperfine's format has no result without times\n`,
      );
    }
  }
}
