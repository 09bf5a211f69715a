import type { BackendHistoryReport, HistogramBucket, HistoryReport, PhaseHistoryReport } from '../../state/read/HistoryReader';
import { formatMs, histogramLines, type Colours } from '../terminal';
import type { WorkloadHistoryReport } from '../../state/read/workloadHistory';
import { workloadLines } from './workloadText';

export interface HistoryView {
  db: string;
  since: string | null;
  backend: string | null;
  overall: HistoryReport;
  byBackend: BackendHistoryReport[];
  phases: PhaseHistoryReport[];
  histogram: HistogramBucket[];
  /** Set when the backends compared ran on more than one machine fingerprint (schema 6): what differs. */
  machineWarning?: string | null;
  /** Per workload, ratios within each (schema 5 histories; empty before). */
  workloads?: WorkloadHistoryReport[];
}

function row(name: string, r: HistoryReport, width: number): string {
  return [
    name.padEnd(width),
    String(r.count).padStart(6),
    formatMs(r.meanMs).padStart(10),
    formatMs(r.p50Ms).padStart(10),
    formatMs(r.p95Ms).padStart(10),
    formatMs(r.p99Ms).padStart(10),
    formatMs(r.maxMs).padStart(10),
    String(r.alertCount).padStart(7),
  ].join('  ');
}

/** The history report as a terminal table plus a histogram of durations. */
export function reportText(view: HistoryView, c: Colours): string {
  const out: string[] = [];
  const scope = `${view.since ? `since ${view.since}` : 'all time'}${view.backend ? `, backend ${view.backend}` : ''}`;
  out.push(`${c.bold('History')} ${c.dim(`(${view.db}, ${scope})`)}`);
  if (view.overall.count === 0) {
    out.push('  no runs recorded in this window');
    return `${out.join('\n')}\n`;
  }
  const names = ['all', ...view.byBackend.map((b) => b.backend)];
  const width = Math.max(...names.map((n) => n.length), 8);
  out.push(
    c.dim(
      [
        'backend'.padEnd(width),
        'runs'.padStart(6),
        'mean'.padStart(10),
        'p50'.padStart(10),
        'p95'.padStart(10),
        'p99'.padStart(10),
        'max'.padStart(10),
        'alerts'.padStart(7),
      ].join('  '),
    ),
  );
  out.push(c.bold(row('all', view.overall, width)));
  for (const b of view.byBackend) out.push(row(b.backend, b, width));
  if (view.machineWarning) out.push(c.yellow(`warning: ${view.machineWarning}`));
  if (view.phases.length > 0) {
    out.push('', c.bold('Phases') + c.dim(' (mean / p95)'));
    const phaseWidth = Math.max(...view.phases.map((p) => p.backend.length + p.phase.length + 1));
    for (const p of view.phases) {
      out.push(
        `  ${`${p.backend} ${p.phase}`.padEnd(phaseWidth)} ${formatMs(p.meanMs).padStart(10)} / ${formatMs(p.p95Ms).padStart(10)}  (${p.count} runs)`,
      );
    }
  }
  out.push(...workloadLines(view.workloads ?? [], c));
  if (view.histogram.length > 0) {
    out.push('', c.bold('Durations'));
    const lines = histogramLines(view.histogram.map((b) => ({ label: `${formatMs(b.lowerMs)} – ${formatMs(b.upperMs)}`, count: b.count })));
    out.push(...lines.map((l) => `  ${l}`));
  }
  return `${out.join('\n')}\n`;
}
