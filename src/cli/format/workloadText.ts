import type { WorkloadHistoryReport } from '../../state/read/workloadHistory';
import { byTotalCost } from '../../stats/isolationCost';
import { formatMs, type Colours } from '../terminal';
import { isolationCell } from './isolationText';

/**
 * Per workload: each backend's successful runs (mean ± σ, the command's own time and the fixed
 * time around it), failed and timed-out runs counted apart, the ratio to `none` within the
 * workload with the run counts on both sides, and the whole cost of isolation (fixed + in the
 * command), by which the backends are listed, most costly first. A ratio never mixes workloads.
 */
export function workloadLines(workloads: readonly WorkloadHistoryReport[], c: Colours): string[] {
  if (workloads.length === 0) return [];
  const out = [
    '',
    c.bold('Workloads') +
      c.dim(
        ' (successful runs; mean ± σ, command and fixed (around the command) means; ratio to none in the same workload;' +
          ' isolation cost = fixed + command time against none, 95 % interval of the total; most costly first)',
      ),
  ];
  for (const w of workloads) {
    out.push(`  ${c.bold(w.label)}${w.label === w.workload ? '' : c.dim(` [${w.workload}]`)}`);
    const width = Math.max(8, ...w.backends.map((b) => b.backend.length));
    for (const b of byTotalCost(w.backends)) {
      const ratio = w.vsBaseline.find((r) => r.backend === b.backend);
      const failed = b.outcomes.error + b.outcomes.timeout;
      const cells = [
        `    ${b.backend.padEnd(width)}`,
        `${String(b.runs).padStart(5)} runs`,
        b.runs > 0 ? `${formatMs(b.meanMs)} ± ${formatMs(b.stddevMs)}`.padStart(22) : ''.padStart(22),
        b.meanCommandMs === null ? '' : `command ${formatMs(b.meanCommandMs)}`,
        b.meanOverheadMs === null ? '' : `fixed ${formatMs(b.meanOverheadMs)}`,
        ratio?.ratio
          ? `${ratio.ratio.ratio.toFixed(2)} ± ${ratio.ratio.error.toFixed(2)} × none (${ratio.runs} vs ${ratio.baselineRuns} runs)`
          : '',
        b.isolationMs ? `isolation ${isolationCell(b.isolationMs)}` : '',
        failed > 0 ? c.yellow(`${b.outcomes.error} failed, ${b.outcomes.timeout} timed out (not averaged)`) : '',
      ];
      out.push(cells.filter(Boolean).join('  '));
    }
  }
  return out;
}
