import { attributionLine } from '../../calibrate/attribution';
import type { PredictionCheck, Prediction } from '../../calibrate/prediction';
import type { OperationCounts } from '../../calibrate/profile';
import type { Interval } from '../../stats/intervals';
import { formatMs } from '../terminal';
import { printable } from '../../printable';
import { signedTime } from './summaryText';
import { formatChangeTime } from '../../state/read/changeMarks';

/** Signed as compare's figures are: '+' or '−' (U+2212), never an ASCII '-' on one line and '−' on the next. */
const signed = signedTime(formatMs);
const span = (i: Interval) => `${signed(i.estimate)} [${signed(i.low)} … ${signed(i.high)}]`;

export function countsLine(counts: OperationCounts): string {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  return (
    `Counted (untimed profiling run): ${n(counts.cpu)} ms user CPU, ${n(counts.syscall)} other system calls, ${n(counts.clock)} clock reads, ${n(counts.stat)} stats, ` +
    `${n(counts.open)} opens/closes, ${n(counts.create)} creations/removals, ${counts.read.toFixed(1)} MiB read, ${counts.write.toFixed(1)} MiB written, ` +
    `${n(counts.spawn)} process starts, ${n(counts.fault)} page faults, ${n(counts.map)} mmaps, ${n(counts.protect)} mprotects; ${n(counts.thread)} of the calls on other threads`
  );
}

/** `+249.0 ms + 22.4 ms for 1,915 creations/removals` (the count the files' term multiplies) where it is not 0 (calibration.md), else the fixed part alone. */
function fixedText(p: Prediction): string {
  const files = p.fixedForFiles.estimate;
  if (files === 0) return signed(p.fixed.estimate);
  const sign = files >= 0 ? '+' : '−';
  return `${signed(p.fixed.estimate - files)} ${sign} ${formatMs(Math.abs(files))} for ${Math.round(p.files).toLocaleString('en-US')} creations/removals`;
}

/**
 * Which stored calibration the predictions below it come from, and when it was taken
 * ("From calibration 12, taken 2026-12-06 22:46 UTC:"): a history holds several, of different
 * minutes and machine states (the warning above says how one differs).
 */
export function calibrationHeading(id: number, createdAt: string, otherMachine: boolean): string {
  const epochMs = Date.parse(createdAt);
  const at = Number.isNaN(epochMs) ? printable(createdAt) : formatChangeTime(epochMs);
  return `From calibration ${id}, taken ${at}${otherMachine ? ' on another machine state' : ''}:\n`;
}

export function predictionText(predictions: readonly Prediction[], baseline: string): string {
  const lines = predictions.map(
    (p) =>
      `${p.backend}: ${span(p.total)} against ${baseline} = fixed ${fixedText(p)} + in-command ${signed(p.inCommand.estimate)}\n` +
      `  ${attributionLine(p.attribution).replace(`${p.backend}: `, 'in-command: ')}`,
  );
  return `${lines.join('\n')}\n`;
}

/** A backend --check could not check: how many rounds paired (0 or 1: an interval needs two) and why. */
export interface Unchecked {
  backend: string;
  pairs: number;
  why: string;
}

/**
 * The checks under their heading, then each backend that has none and why; no heading over
 * nothing (every backend unchecked).
 */
export function checkText(checks: readonly PredictionCheck[], runs: number, unchecked: readonly Unchecked[] = []): string {
  const lines = checks.map((c) => {
    const error = c.relativeError === null ? 'n/a' : `${c.relativeError >= 0 ? '+' : '−'}${Math.abs(c.relativeError * 100).toFixed(1)} %`;
    const fewer = c.pairs !== undefined && c.pairs !== runs ? ` from ${c.pairs} paired` : '';
    return (
      `  ${c.backend}: predicted ${signed(c.predictedMs)}, measured ${span(c.measured)}${fewer}: error ${error} ` +
      `(${c.withinTolerance ? 'within' : 'outside'} ±15 %; ${c.insideMeasuredInterval ? 'inside' : 'outside'} the measured 95 % interval)`
    );
  });
  // The rounds asked for; a backend whose runs failed in some of them says how many paired.
  const all = checks.every((c) => c.pairs === undefined || c.pairs === runs);
  const heading =
    lines.length > 0 ? [all ? `Checked against ${runs} paired rounds:` : `Checked against paired rounds (${runs} asked):`] : [];
  const missing = unchecked.map(
    (u) =>
      `${lines.length > 0 ? '  ' : ''}${u.backend}: not checked, ${u.pairs === 0 ? 'no round' : 'one round'} of ${runs} paired (${u.why})`,
  );
  return [...heading, ...lines, ...missing].map((l) => `${l}\n`).join('');
}
