import type { ComparisonResult } from '../../compare/compareBackends';
import { shellQuote } from '../../shellQuote';

const ms = (v: number): string => v.toFixed(1);
const code = (text: string): string => `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;

/**
 * hyperfine's Markdown table (Command, Mean [ms], Min [ms], Max [ms], Relative), then our columns:
 * median, p95, and against the baseline the per-round difference with its 95 % interval and p.
 */
export function comparisonToMarkdown(result: ComparisonResult): string {
  const command = shellQuote(result.command);
  const lines = [
    `${result.runs} rounds per backend, ${result.warmup} warm-up, interleaved; baseline ${code(result.baseline)}`,
    '',
    '| Command | Mean [ms] | Min [ms] | Max [ms] | Relative | Median [ms] | p95 [ms] | Difference [ms] (95 % CI) | p |',
    '|:---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const b of result.backends) {
    const s = b.summary;
    const mean = s.count > 1 ? `${ms(s.meanMs)} ± ${ms(s.stddevMs)}` : ms(s.meanMs);
    const isBase = b.backend === result.baseline;
    const relative = isBase
      ? '1.00'
      : b.ratio
        ? s.count > 1
          ? `${b.ratio.ratio.toFixed(2)} ± ${b.ratio.error.toFixed(2)}`
          : b.ratio.ratio.toFixed(2)
        : 'n/a';
    const d = b.paired?.difference;
    const difference = isBase ? '' : d ? `${ms(d.estimate)} [${ms(d.low)} … ${ms(d.high)}]` : 'n/a';
    const p = isBase ? '' : b.paired?.test ? b.paired.test.pValue.toPrecision(2) : 'n/a';
    lines.push(
      `| ${code(`${b.backend}: ${command}`)} | ${mean} | ${ms(s.minMs)} | ${ms(s.maxMs)} | ${relative} | ${ms(s.medianMs)} | ${ms(s.p95Ms)} | ${difference} | ${p} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
