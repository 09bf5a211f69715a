import type { ChangePoint } from '../../stats/changePoints';
import type { SeriesChanges } from '../../state/read/historyChanges';
import { formatChange, formatChangeTime as formatTime, formatP, seriesName } from '../../state/read/changeMarks';
import { formatMs, type Colours } from '../terminal';

/*
 * The text of `sandbox-perf changes`: one line per change point, newest first, across series:
 *   +18 % duration on docker since 2026-12-03 14:05 UTC (p = 0.0003)
 * then what moved (means and medians before → after, runs on each side). Names are escaped by
 * the caller (they come from records).
 */

interface Line {
  time: number;
  text: string;
}

function detail(c: ChangePoint, value: (v: number) => string): string {
  return (
    `mean ${value(c.before.mean)} → ${value(c.after.mean)}, median ${value(c.before.median)} → ${value(c.after.median)}, ` +
    `${c.before.count} runs before, ${c.after.count} after`
  );
}

export function changesText(series: readonly SeriesChanges[], header: string, c: Colours): string {
  const lines: Line[] = [];
  for (const s of series) {
    const where = seriesName(s);
    for (const change of s.changes) {
      const time = change.time as number;
      const size = formatChange(change.relativeChange);
      const coloured = (change.relativeChange ?? 0) > 0 ? c.red(size) : c.green(size);
      lines.push({
        time,
        text: `${c.bold(coloured)} ${s.metric} on ${where} since ${formatTime(time)} (p = ${formatP(change.pValue)})\n    ${c.dim(detail(change, formatMs))}`,
      });
    }
  }
  const runs = series.reduce((n, s) => n + s.runs, 0);
  const scope = `${series.length} series, ${runs} runs`;
  if (lines.length === 0) return `${header}\nNo change points (${scope}).\n`;
  lines.sort((a, b) => b.time - a.time);
  return `${header}\n${lines.length} change point${lines.length === 1 ? '' : 's'}, newest first (${scope}):\n${lines.map((l) => `  ${l.text}`).join('\n')}\n`;
}

/** `--input`: positions are rows of the file (and times when it has them). */
export function inputChangesText(
  name: string,
  changes: readonly ChangePoint[],
  lines: ReadonlyMap<number, number>,
  count: number,
  c: Colours,
): string {
  const header = `Change points in ${name} (${count} values):`;
  if (changes.length === 0) return `${header}\nNo change points.\n`;
  const value = (v: number): string => String(Number(v.toPrecision(4)));
  const rows = [...changes].reverse().map((change) => {
    const size = formatChange(change.relativeChange);
    const when = change.time === null ? '' : ` since ${formatTime(change.time)}`;
    return `  ${c.bold(size)} at value ${change.index + 1} (line ${lines.get(change.index) ?? '?'})${when} (p = ${formatP(change.pValue)})\n    ${c.dim(detail(change, value).replace(/runs/g, 'values'))}`;
  });
  return `${header}\n${changes.length} change point${changes.length === 1 ? '' : 's'}, newest first:\n${rows.join('\n')}\n`;
}
