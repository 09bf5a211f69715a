import type { Calibration } from '../../calibrate/calibration';
import { CLASSES } from '../../calibrate/classes';
import type { Interval } from '../../stats/intervals';

/** Microseconds: per-operation costs run from 0.05 µs (a host system call) to milliseconds (a process start). */
function us(ms: number): string {
  const v = ms * 1000;
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

function usInterval(i: Interval): string {
  return `${us(i.estimate)} [${us(i.low)} … ${us(i.high)}]`;
}

function msInterval(i: Interval): string {
  return `${i.estimate.toFixed(2)} ms [${i.low.toFixed(2)} … ${i.high.toFixed(2)}]`;
}

/** The calibration as text: per backend, the cost of each operation and its difference from the baseline, in µs with 95 % intervals. */
export function calibrationText(calibration: Calibration): string {
  const { fit } = calibration;
  const lines: string[] = [];
  for (const b of fit.backends) {
    const isBase = b.backend === fit.baseline;
    lines.push(
      `${b.backend} (${b.runs} runs, lowest R² ${b.rSquared.toFixed(3)})${b.poorFit.length > 0 ? `  POOR FIT: ${b.poorFit.join(', ')}` : ''}`,
    );
    lines.push(
      `  start of the command   ${msInterval(b.startMs)}${b.deltaStartMs ? `   vs ${fit.baseline} ${b.deltaStartMs.estimate >= 0 ? '+' : ''}${msInterval(b.deltaStartMs)}` : ''}`,
    );
    lines.push(`  fixed (around it)      ${msInterval(b.fixedMs)}`);
    // Absent from calibrations stored before it; null without `leave` runs.
    if (b.fixedPerFileMs) {
      const delta = b.deltaFixedPerFileMs;
      lines.push(
        `    per file left        ${usInterval(b.fixedPerFileMs)} µs${delta ? `   vs ${fit.baseline} ${delta.estimate >= 0 ? '+' : ''}${usInterval(delta)} µs` : ''}`,
      );
    }
    const rows = b.costs.map((c) => {
      const unit = CLASSES.find((k) => k.name === c.class)?.unit ?? '';
      return [
        c.class,
        unit,
        usInterval(c.msPerOp),
        c.rSquared.toFixed(3),
        c.deltaMsPerOp ? usInterval(c.deltaMsPerOp) : '',
        c.poor === null ? '' : 'poor',
      ];
    });
    const header = ['class', 'operation', 'µs per operation [95 %]', 'R²', isBase ? '' : `µs vs ${fit.baseline} [95 %]`, ''];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    for (const row of [header, ...rows])
      lines.push(
        `  ${row
          .map((cell, i) => cell.padEnd(widths[i] as number))
          .join('  ')
          .trimEnd()}`,
      );
    lines.push('');
  }
  lines.push(
    `Calibrated in ${(calibration.elapsedMs / 1000).toFixed(1)} s (${calibration.rounds} rounds per backend of one run of ${CLASSES.length} classes × 2 sizes, 2 starts and one run leaving files).`,
  );
  return `${lines.join('\n')}\n`;
}
