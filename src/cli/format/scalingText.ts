import type { ScalingResult } from '../../compare/scaling';
import type { Interval } from '../../stats/intervals';
import { formatMs, type Colours, type TimeFormat } from '../terminal';

/** 100000 → "100 000" (the size as a reader counts it). */
export function groupDigits(n: number): string {
  const [whole = '', fraction] = String(n).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

function signed(ms: number, time: TimeFormat, sign: boolean): string {
  return sign && ms >= 0 ? `+${time(ms)}` : time(ms);
}

/** "+41.0 s [+37.2 s … +45.1 s]". */
export function intervalText(i: Interval, time: TimeFormat, sign: boolean): string {
  return `${signed(i.estimate, time, sign)} [${signed(i.low, time, sign)} … ${signed(i.high, time, sign)}]`;
}

/**
 * compare --scale's section: per backend the fitted line (fixed part and cost per unit of size,
 * 95 % intervals), a warning where the sizes' means stray from a line, and the extrapolation.
 */
export function scalingText(s: ScalingResult, c: Colours, time: TimeFormat = formatMs): string {
  const unit = s.parameter;
  const out = [
    '',
    `${c.bold('Scaling')} with ${unit} (${s.sizes.map(groupDigits).join(', ')}): cost = a + b·${unit}, weighted least squares, 95 % intervals`,
  ];
  const width = Math.max(...s.backends.map((b) => b.backend.length));
  for (const b of s.backends) {
    const what = b.measure === 'duration' ? 'run time' : `isolation (− ${s.baseline})`;
    const sign = b.measure === 'isolation';
    const head = `  ${c.cyan(b.backend.padEnd(width))}  ${what.padEnd(Math.max(8, s.baseline.length + 14))}`;
    if (!b.fixedMs || !b.perUnitMs) {
      out.push(`${head}  ${c.yellow('no fit')} (needs two sizes and three values)`);
      continue;
    }
    const poor = b.lackOfFitP !== null && b.lackOfFitP < 0.05;
    const fitNote =
      b.lackOfFitP === null
        ? ''
        : poor
          ? `  ${c.yellow(`not a line (lack of fit p = ${b.lackOfFitP.toPrecision(2)}): do not extrapolate`)}`
          : `  (lack of fit p = ${b.lackOfFitP.toPrecision(2)})`;
    out.push(`${head}  a ${intervalText(b.fixedMs, time, sign)}, b ${intervalText(b.perUnitMs, time, sign)} per unit of ${unit}${fitNote}`);
  }
  if (s.at !== null) {
    out.push('', `${c.bold(`At ${groupDigits(s.at)} ${unit}`)}:`);
    for (const b of s.backends) {
      if (!b.atMs) continue;
      const what = b.measure === 'duration' ? 'runs in' : 'costs';
      // A slope whose interval holds 0 says nothing of how the size adds: its extrapolation is the
      // sizes' noise times the distance (a run time of −59 s at 100 000 files from 1, 2 and 4).
      const unresolved =
        b.perUnitMs && b.perUnitMs.low <= 0 && b.perUnitMs.high >= 0
          ? `  ${c.yellow(`b's interval holds 0: how ${unit} adds is not resolved at these sizes (run larger ones)`)}`
          : '';
      out.push(`  ${c.cyan(b.backend.padEnd(width))}  ${what} ${intervalText(b.atMs, time, b.measure === 'isolation')}${unresolved}`);
    }
  }
  return `${out.join('\n')}\n`;
}
