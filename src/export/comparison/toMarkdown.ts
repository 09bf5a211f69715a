import type { ComparisonResult } from '../../compare/compareBackends';

const ms = (v: number): string => v.toFixed(1);

/** A Markdown table like hyperfine's: mean ± σ, median, min … max, p95, relative to the baseline. */
export function comparisonToMarkdown(result: ComparisonResult): string {
  const lines = [
    `Command: \`${result.command.join(' ').replace(/`/g, '\\`')}\` — ${result.runs} runs per backend, ${result.warmup} warm-up, interleaved; baseline \`${result.baseline}\``,
    '',
    '| Backend | Mean ± σ [ms] | Median [ms] | Min … Max [ms] | p95 [ms] | Relative | Overhead [ms] |',
    '|:---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const b of result.backends) {
    const s = b.summary;
    const relative = b.backend === result.baseline ? '1.00' : b.ratio ? `${b.ratio.ratio.toFixed(2)} ± ${b.ratio.error.toFixed(2)}` : 'n/a';
    const overhead = b.overheadMs
      ? `${ms(b.overheadMs.difference)} ± ${ms(b.overheadMs.error)}`
      : b.backend === result.baseline
        ? '0'
        : 'n/a';
    lines.push(
      `| \`${b.backend}\` | ${ms(s.meanMs)} ± ${ms(s.stddevMs)} | ${ms(s.medianMs)} | ${ms(s.minMs)} … ${ms(s.maxMs)} | ${ms(s.p95Ms)} | ${relative} | ${overhead} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
