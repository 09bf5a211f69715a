import type { BackendComparison, ComparisonResult } from '../../compare/compareBackends';
import type { Interval } from '../../stats/intervals';
import { formatMs, type Colours, type TimeFormat } from '../terminal';
import { pairCounts } from './pairCounts';

/** `+12.3 ms`, `−4.5 ms`: a difference, its sign always written. */
export const signedTime =
  (time: TimeFormat) =>
  (ms: number): string =>
    `${ms >= 0 ? '+' : '−'}${time(Math.abs(ms))}`;
const range = (i: Interval, f: (v: number) => string): string => `[${f(i.low)} … ${f(i.high)}]`;

/** `p = 0.031`, `p < 0.0001`: two significant digits, never a bare 0. */
export function formatP(p: number): string {
  return p < 0.0001 ? 'p < 0.0001' : `p = ${p.toPrecision(2)}`;
}

/** "X ± Y times slower/faster": hyperfine's figure, error only with more than one run. */
function hyperfineRatio(b: BackendComparison): { times: string; word: string } | null {
  const r = b.ratio;
  if (!r) return null;
  const slower = r.ratio >= 1;
  const times = slower ? r.ratio : 1 / r.ratio;
  const error = slower ? r.error : r.error / (r.ratio * r.ratio);
  return {
    times: b.summary.count > 1 ? `${times.toFixed(2)} ± ${error.toFixed(2)}` : times.toFixed(2),
    word: slower ? 'slower' : 'faster',
  };
}

/**
 * The summary against the baseline: for each other backend either "no significant difference"
 * (the 95 % interval of the per-round difference contains 0), or which is slower, by what ratio
 * and how many ms per run, each with its interval, the Hodges-Lehmann shift and Wilcoxon's p.
 */
export function summaryLines(result: ComparisonResult, c: Colours, time: TimeFormat = formatMs): string[] {
  const signed = signedTime(time);
  const others = result.backends.filter((b) => b.backend !== result.baseline && b.summary.count > 0);
  if (others.length === 0) return [];
  const counts = pairCounts(others.map((b) => b.paired?.pairs ?? 0));
  const header = counts.most === 0 ? 'no paired round, so no interval' : `95 % intervals from ${counts.rounds}`;
  const out = ['', `${c.bold('Summary')} (against ${c.cyan(result.baseline)}; ${header})`];
  const width = Math.max(...others.map((b) => b.backend.length));
  const pad = ' '.repeat(width + 4);
  for (const b of others) {
    const name = `  ${c.cyan(b.backend.padEnd(width))}  `;
    const p = b.paired;
    const hf = hyperfineRatio(b);
    if (!p || !p.difference) {
      const why = p ? 'one paired run' : 'no paired round, no round where both succeeded';
      out.push(
        hf
          ? `${name}${c.bold(hf.times)} times ${hf.word} than ${result.baseline} (${why}: no interval, no test)`
          : `${name}no comparison (the baseline has no successful run)`,
      );
      continue;
    }
    const diff = `${signed(p.difference.estimate)} per run ${range(p.difference, signed)}${counts.own(p.pairs)}`;
    const test = p.test ? `Wilcoxon ${formatP(p.test.pValue)}` : 'no non-zero difference to test';
    const hl = p.hodgesLehmannMs === null ? '' : `, Hodges-Lehmann ${signed(p.hodgesLehmannMs)}`;
    if (p.verdict === 'no significant difference') {
      out.push(
        `${name}${c.green('no significant difference')} from ${result.baseline}: ${diff}, ${test}` +
          (hf ? `  (hyperfine: ${hf.times} times ${hf.word})` : ''),
      );
      continue;
    }
    const ratio = p.ratio;
    const slower = p.verdict === 'slower';
    const times = ratio ? (slower ? ratio.estimate : 1 / ratio.estimate) : null;
    const timesRange = ratio ? (slower ? [ratio.low, ratio.high] : [1 / ratio.high, 1 / ratio.low]) : null;
    out.push(
      `${name}${c.bold(times === null ? '?' : times.toFixed(2))} times ${slower ? 'slower' : 'faster'} than ${result.baseline}` +
        (timesRange ? ` [${(timesRange[0] as number).toFixed(2)} … ${(timesRange[1] as number).toFixed(2)}]` : '') +
        (hf ? `  (hyperfine: ${hf.times})` : ''),
      `${pad}${diff}${hl}, ${test}`,
    );
  }
  out.push(...fewPairsNote(others, c));
  return out;
}

/**
 * The exact two-sided Wilcoxon signed-rank test on n pairs cannot give p below 2 / 2ⁿ (every
 * difference with the same sign): with 5 pairs that is 0.0625, so every p reads 0.063 however large
 * the difference (the normal approximation, used with tied differences, has no such floor). Said
 * next to the verdicts, which come from the intervals, not from the test.
 */
function fewPairsNote(others: readonly BackendComparison[], c: Colours): string[] {
  const pairs = Math.min(...others.map((b) => (b.paired?.test?.method === 'exact' ? b.paired.test.n : Infinity)));
  if (!Number.isFinite(pairs) || 2 / 2 ** pairs < 0.05) return [];
  return [
    c.dim(
      `  ${pairs} pair(s) cannot reach Wilcoxon p < ${formatFloor(2 / 2 ** pairs)}; the verdicts come from the 95 % intervals. ` +
        '--runs 12 or --runs auto give the test room.',
    ),
  ];
}

/** 0.0625, 0.125, 0.25 …: the smallest p as a plain decimal. */
function formatFloor(p: number): string {
  return String(Number(p.toPrecision(4)));
}
