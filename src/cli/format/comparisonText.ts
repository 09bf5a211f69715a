import type { ComparisonResult } from '../../compare/compareBackends';
import { baselineLines } from './baselineText';
import { fingerprintLine } from './fingerprintText';
import { shellQuote } from '../../shellQuote';
import { mitigationLines } from './mitigationText';
import { summaryLines } from './summaryText';
import { formatMs, type Colours } from '../terminal';
import { timerDescription } from '../../runners/host/launcher';

function runsNote(result: ComparisonResult): string {
  const warmup = result.warmupMode === 'auto' ? `${result.warmup} warm-up (auto)` : `${result.warmup} warm-up`;
  const base = `${result.runs} round(s), ${warmup}, interleaved`;
  if (!result.adaptive) return base;
  const target = `${(result.adaptive.precision * 100).toFixed(1).replace(/\.0$/, '')} %`;
  const why =
    result.stoppedBy === 'precision'
      ? `every interval within ${target}`
      : result.stoppedBy === 'max-runs'
        ? `--max-runs ${result.adaptive.maxRuns} reached before ${target}`
        : `--max-time ${result.adaptive.maxTimeMs / 1000} s reached before ${target}`;
  return `${base}; stopped after ${result.runs} rounds: ${why}`;
}

/** hyperfine-style text: per backend mean ± σ, CPU, range, median, intervals, phases, outliers; then the verdicts. */
export function comparisonText(result: ComparisonResult, c: Colours): string {
  return comparisonDetails(result, c) + comparisonVerdicts(result, c);
}

/** The answer: the summary against the baseline, the saved baseline's verdict, the mitigations. */
export function comparisonVerdicts(result: ComparisonResult, c: Colours): string {
  const out = [...summaryLines(result, c)];
  if (result.againstBaseline) out.push(...baselineLines(result.againstBaseline, c));
  out.push(...mitigationLines(result.mitigations ?? [], c));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** What was run and how, then one block per backend: the figures behind the verdicts. */
export function comparisonDetails(result: ComparisonResult, c: Colours): string {
  const out: string[] = [];
  out.push(`${c.bold('Command:')} ${shellQuote(result.command)}  (${runsNote(result)})`);
  if (result.fingerprint) out.push(c.dim(`Machine: ${fingerprintLine(result.fingerprint)}`));
  // Which timer measured the commands (commandMs): the C launcher next to the command, or Node.
  out.push(c.dim(`Timer: ${timerDescription()}`));
  for (const b of result.backends) {
    const s = b.summary;
    out.push('', c.bold(c.cyan(b.backend)));
    if (s.count === 0) {
      out.push(`  ${c.red('no successful run')}${b.firstError ? `: ${b.firstError}` : ''}`);
      continue;
    }
    const cpu = b.cpu ? `    [User: ${formatMs(b.cpu.userMs)}, System: ${formatMs(b.cpu.systemMs)}]` : '';
    out.push(
      s.count > 1
        ? `  Time (${c.green('mean')} ± ${c.green('σ')}):   ${c.green(formatMs(s.meanMs))} ± ${c.green(formatMs(s.stddevMs))}${cpu}`
        : `  Time (${c.green('abs')} ≡):       ${c.green(formatMs(s.meanMs))}${cpu}`,
    );
    out.push(
      `  Range (min … max):  ${formatMs(s.minMs)} … ${formatMs(s.maxMs)}    median ${formatMs(s.medianMs)}    p95 ${formatMs(s.p95Ms)}    ${s.count} runs`,
    );
    const { mean, median } = b.intervals;
    if (mean) {
      out.push(
        `  95 % CI:            mean ${formatMs(mean.low)} … ${formatMs(mean.high)} (t)` +
          (median ? `, median ${formatMs(median.low)} … ${formatMs(median.high)} (order statistic)` : ', median: needs 6 runs'),
      );
    }
    if (b.phases.length > 1) {
      out.push(`  Phases (median):    ${b.phases.map((p) => `${p.phase} ${formatMs(p.medianMs)}`).join(', ')}`);
    }
    if (b.prepareMs >= 1)
      out.push(`  Prepare/teardown:   ${formatMs(b.prepareMs)} / ${formatMs(b.teardownMs)} (once per backend, not in the times above)`);
    if (b.failures > 0) out.push(`  ${c.yellow('Warning:')} ${b.failures} run(s) failed and are left out: ${b.firstError ?? ''}`);
    if (b.outliers.length > 0) {
      out.push(
        `  ${c.yellow('Warning:')} ${b.outliers.length} statistical outlier(s) (modified z-score > 3.5 by the MAD). ` +
          'Other load on the machine, or caches warming up (try --warmup auto), can cause them.',
      );
    }
  }
  return `${out.join('\n')}\n`;
}
