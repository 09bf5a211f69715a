import type { BackendComparison, ComparisonResult } from '../../compare/compareBackends';
import type { IsolationCost } from '../../stats/isolationCost';
import { comparisonList, shownNames } from './names';
import { unitSymbol, valueIn, type TimeUnit } from './timeUnit';

const code = (text: string): string => `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;

export interface MarkdownOptions {
  /** hyperfine's `--time-unit`. @default 'millisecond' */
  timeUnit?: TimeUnit;
}

function span(values: readonly number[]): string {
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? String(low) : `${low}–${high}`;
}

/** `72.1 [46.0 … 98.1] = 54.2 + 17.9`: total with its interval, then its parts (a negative in-command part as `− 3.0`). */
function isolation(cost: IsolationCost, t: (ms: number) => string): string {
  const inCommand = cost.inCommand < 0 ? `− ${t(-cost.inCommand)}` : `+ ${t(cost.inCommand)}`;
  return `${t(cost.total)} [${t(cost.low)} … ${t(cost.high)}] = ${t(cost.fixed)} ${inCommand}`;
}

function row(result: ComparisonResult, name: string, b: BackendComparison, unit: TimeUnit): string {
  const t = (ms: number): string => valueIn(ms, unit);
  const command = code(`${b.backend}: ${name}`);
  const s = b.summary;
  // No measured run: no figure at all (a 0.0 would read as the fastest backend).
  if (s.count === 0) return `| ${command} | no successful run | | | n/a | | | n/a | n/a | n/a |`;
  const mean = s.count > 1 ? `${t(s.meanMs)} ± ${t(s.stddevMs)}` : t(s.meanMs);
  const isBase = b.backend === result.baseline;
  const relative = isBase
    ? '1.00'
    : b.ratio
      ? s.count > 1
        ? `${b.ratio.ratio.toFixed(2)} ± ${b.ratio.error.toFixed(2)}`
        : b.ratio.ratio.toFixed(2)
      : 'n/a';
  const d = b.paired?.difference;
  const difference = isBase ? '' : d ? `${t(d.estimate)} [${t(d.low)} … ${t(d.high)}]` : 'n/a';
  const p = isBase ? '' : b.paired?.test ? b.paired.test.pValue.toPrecision(2) : 'n/a';
  const cost = b.isolationMs ? isolation(b.isolationMs, t) : 'n/a';
  return `| ${command} | ${mean} | ${t(s.minMs)} | ${t(s.maxMs)} | ${relative} | ${t(s.medianMs)} | ${t(s.p95Ms)} | ${difference} | ${p} | ${cost} |`;
}

/**
 * hyperfine's Markdown table (Command, Mean, Min, Max, Relative), then our columns: median, p95,
 * against the baseline the per-round difference with its 95 % interval and p, and last the whole
 * cost of isolation against `none` (BackendComparison.isolationMs: total [95 % interval] = fixed +
 * in command; `none` itself has its own fixed part, its in-command part is 0), `n/a` where it was
 * not measured (no `none` compared, under two paired timed rounds). One row per backend of each
 * comparison; times in milliseconds, or in `timeUnit`.
 */
export function comparisonToMarkdown(comparisons: ComparisonResult | readonly ComparisonResult[], options: MarkdownOptions = {}): string {
  const all = comparisonList(comparisons);
  const unit = options.timeUnit ?? 'millisecond';
  const u = `[${unitSymbol(unit)}]`;
  const names = shownNames(all);
  const baselines = [...new Set(all.map((r) => r.baseline))].map(code).join(', ');
  const lines = [
    `${span(all.map((r) => r.runs))} rounds per backend, ${span(all.map((r) => r.warmup))} warm-up, interleaved; baseline ${baselines}`,
    '',
    `| Command | Mean ${u} | Min ${u} | Max ${u} | Relative | Median ${u} | p95 ${u} | Difference ${u} (95 % CI) | p | Isolation vs none ${u}: total (95 % CI) = fixed + in command |`,
    '|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  all.forEach((result, i) => {
    for (const b of result.backends) lines.push(row(result, names[i] as string, b, unit));
  });
  return `${lines.join('\n')}\n`;
}
