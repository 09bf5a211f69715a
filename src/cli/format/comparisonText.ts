import type { ComparisonResult } from '../../compare/compareBackends';
import { formatMs, type Colours } from '../terminal';

/** hyperfine-style text: per backend mean ± σ, range, median, p95, phases, outliers; then the summary. */
export function comparisonText(result: ComparisonResult, c: Colours): string {
  const out: string[] = [];
  out.push(`${c.bold('Command:')} ${result.command.join(' ')}  (${result.runs} runs per backend, ${result.warmup} warm-up, interleaved)`);
  for (const b of result.backends) {
    const s = b.summary;
    out.push('', c.bold(c.cyan(b.backend)));
    if (s.count === 0) {
      out.push(`  ${c.red('no successful run')}${b.firstError ? `: ${b.firstError}` : ''}`);
      continue;
    }
    out.push(`  Time (${c.green('mean')} ± ${c.green('σ')}):   ${c.green(formatMs(s.meanMs))} ± ${c.green(formatMs(s.stddevMs))}`);
    out.push(
      `  Range (min … max):  ${formatMs(s.minMs)} … ${formatMs(s.maxMs)}    median ${formatMs(s.medianMs)}    p95 ${formatMs(s.p95Ms)}    ${s.count} runs`,
    );
    if (b.phases.length > 1) {
      out.push(`  Phases (median):    ${b.phases.map((p) => `${p.phase} ${formatMs(p.medianMs)}`).join(', ')}`);
    }
    if (b.prepareMs >= 1)
      out.push(`  Setup:              prepare ${formatMs(b.prepareMs)}, teardown ${formatMs(b.teardownMs)} (once, not in the times above)`);
    if (b.failures > 0) out.push(`  ${c.yellow('Warning:')} ${b.failures} run(s) failed and are left out: ${b.firstError ?? ''}`);
    if (b.outliers.length > 0) {
      out.push(
        `  ${c.yellow('Warning:')} ${b.outliers.length} statistical outlier(s) (modified z-score > 3.5 by the MAD). ` +
          'Other load on the machine, or caches warming up (try --warmup), can cause them.',
      );
    }
  }
  const others = result.backends.filter((b) => b.backend !== result.baseline && b.ratio);
  if (others.length > 0) {
    out.push('', `${c.bold('Summary')} (overhead against ${c.cyan(result.baseline)})`);
    const width = Math.max(...others.map((b) => b.backend.length));
    for (const b of others) {
      const r = b.ratio as { ratio: number; error: number };
      const d = b.overheadMs as { difference: number; error: number };
      const word = r.ratio >= 1 ? 'slower' : 'faster';
      const times = r.ratio >= 1 ? r.ratio : 1 / r.ratio;
      const timesErr = r.ratio >= 1 ? r.error : r.error / (r.ratio * r.ratio);
      out.push(
        `  ${c.cyan(b.backend.padEnd(width))}  ${c.bold(`${times.toFixed(2)} ± ${timesErr.toFixed(2)}`)} times ${word} than ${result.baseline}` +
          `  (${d.difference >= 0 ? '+' : ''}${formatMs(d.difference)} ± ${formatMs(d.error)} per run)`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}
