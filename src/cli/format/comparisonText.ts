import type { ComparisonResult } from '../../compare/compareBackends';
import { baselineLines } from './baselineText';
import { fingerprintLine } from './fingerprintText';
import { shellQuote } from '../../shellQuote';
import { comparisonName } from '../../export/comparison/names';
import { mitigationLines } from './mitigationText';
import { throughputLines } from './throughputText';
import { resolutionDifferenceLines, resolutionLine } from './resolutionText';
import { summaryLines } from './summaryText';
import { formatMs, type Colours, type TimeFormat } from '../terminal';
import { timerDescription } from '../../runners/host/launcher';
import type { HarnessCost } from '../../runners/host/harnessCost';
import { isolationLines } from './isolationText';

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
export function comparisonText(result: ComparisonResult, c: Colours, time: TimeFormat = formatMs): string {
  return comparisonDetails(result, c, time) + comparisonVerdicts(result, c, time);
}

/** The answer: the summary against the baseline, the saved baseline's verdict, the mitigations. */
export function comparisonVerdicts(result: ComparisonResult, c: Colours, time: TimeFormat = formatMs): string {
  const out = [...summaryLines(result, c, time), ...isolationLines(result, c, time)];
  if (result.againstBaseline) out.push(...baselineLines(result.againstBaseline, c, time));
  out.push(...mitigationLines(result.mitigations ?? [], c, time));
  out.push(...throughputLines(result.throughput ?? [], c, time));
  out.push(...resolutionDifferenceLines(result.resolutionDifferences ?? [], c));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** What was run and how, then one block per backend: the figures behind the verdicts. */
export function comparisonDetails(result: ComparisonResult, c: Colours, time: TimeFormat = formatMs): string {
  const out: string[] = [];
  const argv = shellQuote(result.command);
  out.push(`${c.bold('Command:')} ${comparisonName(result)}  (${runsNote(result)})`);
  // A name (-n, or a command typed in hyperfine's form) is shown with the argv it ran as, when they differ.
  if (argv !== comparisonName(result)) out.push(c.dim(`Runs: ${argv}`));
  const parameters = Object.entries(result.parameters ?? {});
  if (parameters.length > 0) out.push(`Parameters: ${parameters.map(([k, v]) => `${k} = ${v}`).join(', ')}`);
  if (result.fingerprint) out.push(c.dim(`Machine: ${fingerprintLine(result.fingerprint)}`));
  // Which timer measured the commands (commandMs): the C launcher next to the command, or Node.
  out.push(c.dim(`Timer: ${timerDescription()}`));
  if (result.harness) out.push(c.dim(`Harness: ${harnessLine(result.harness, time)}`));
  for (const b of result.backends) {
    const s = b.summary;
    out.push('', c.bold(c.cyan(b.backend)));
    out.push(...resolutionLine(result.resolutions?.find((r) => r.backend === b.backend)));
    if (s.count === 0) {
      out.push(`  ${c.red('no successful run')}${b.firstError ? `: ${b.firstError}` : ''}`);
      // hyperfine's hint, where it applies: the command ran and exited non-zero.
      if (b.firstError?.startsWith('exited with code') === true)
        out.push(`  -i/--ignore-failure counts runs that exit non-zero as measurements`);
      continue;
    }
    const countedBy = b.cpuCountedBy ? ` as ${b.cpuCountedBy} counts it` : '';
    const cpu = b.cpu ? `    [User: ${time(b.cpu.userMs)}, System: ${time(b.cpu.systemMs)}${countedBy}]` : '';
    out.push(
      s.count > 1
        ? `  Time (${c.green('mean')} ± ${c.green('σ')}):   ${c.green(time(s.meanMs))} ± ${c.green(time(s.stddevMs))}${cpu}`
        : `  Time (${c.green('abs')} ≡):       ${c.green(time(s.meanMs))}${cpu}`,
    );
    out.push(
      `  Range (min … max):  ${time(s.minMs)} … ${time(s.maxMs)}    median ${time(s.medianMs)}    p95 ${time(s.p95Ms)}    ${s.count} runs`,
    );
    const { mean, median } = b.intervals;
    if (mean) {
      out.push(
        `  95 % CI:            mean ${time(mean.low)} … ${time(mean.high)} (t)` +
          (median ? `, median ${time(median.low)} … ${time(median.high)} (order statistic)` : ', median: needs 6 runs'),
      );
    }
    if (b.phases.length > 1) {
      out.push(`  Phases (median):    ${b.phases.map((p) => `${p.phase} ${time(p.medianMs)}`).join(', ')}`);
    }
    if (b.prepareMs >= 1)
      out.push(`  Prepare/teardown:   ${time(b.prepareMs)} / ${time(b.teardownMs)} (once per backend, not in the times above)`);
    if (b.failures > 0) out.push(`  ${c.yellow('Warning:')} ${b.failures} run(s) failed and are left out: ${b.firstError ?? ''}`);
    const ignored = b.exitCodes.filter((code, i) => b.roundsMs[i] !== null && b.roundsMs[i] !== undefined && code !== 0).length;
    if (ignored > 0) out.push(`  ${c.yellow('Warning:')} ${ignored} run(s) exited with a non-zero code and are counted (--ignore-failure)`);
    if (b.outliers.length > 0) {
      out.push(
        `  ${c.yellow('Warning:')} ${b.outliers.length} statistical outlier(s) (modified z-score > 3.5 by the MAD). ` +
          'Other load on the machine, or caches warming up (try --warmup auto), can cause them.',
      );
    }
  }
  return `${out.join('\n')}\n`;
}

/** What the harness itself costs per run, measured at start-up (issue 27.6), as hyperfine states its own overhead. */
export function harnessLine(harness: HarnessCost, time: TimeFormat = formatMs): string {
  if (harness.insideMs === null || harness.outsideMs === null)
    return `not measured (host runs are started and timed from Node: ${harness.why ?? 'no spawner'})`;
  return (
    `${time(harness.insideMs)} per run inside each host run's timed window (the spawner's wake-up and reap), ` +
    `${time(harness.outsideMs)} outside it (set-up and teardown, not counted); median of ${harness.runs} runs of nothing`
  );
}
