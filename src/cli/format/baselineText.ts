import type { BaselineComparison } from '../../compare/comparisonResult';
import { formatMs, type Colours, type TimeFormat } from '../terminal';
import { formatP, signedTime } from './summaryText';

/** Today against a saved comparison: per backend, its run time or overhead then and now, the change with its interval. */
export function baselineLines(b: BaselineComparison, c: Colours, time: TimeFormat = formatMs): string[] {
  const signed = signedTime(time);
  const out = ['', `${c.bold('Against saved baseline')} ${c.cyan(b.name)} (saved ${b.savedAt}; 95 % Welch intervals, Mann-Whitney U)`];
  if (!b.sameCommand) out.push(`  ${c.yellow('Warning:')} the saved comparison ran another command: its figures are not comparable`);
  for (const d of b.machineDifferences) out.push(`  ${c.yellow('Warning:')} the machine differs: ${d}`);
  const width = Math.max(0, ...b.backends.map((x) => x.backend.length));
  for (const x of b.backends) {
    const name = `  ${c.cyan(x.backend.padEnd(width))}  ${x.metric.padEnd(8)}  `;
    const fmt = x.metric === 'overhead' ? signed : time;
    const then = x.savedMeanMs === null ? 'n/a' : fmt(x.savedMeanMs);
    const now = x.todayMeanMs === null ? 'n/a' : fmt(x.todayMeanMs);
    if (!x.change) {
      out.push(`${name}${then} → ${now} (too few runs for an interval)`);
      continue;
    }
    const interval = `${signed(x.change.estimate)} [${signed(x.change.low)} … ${signed(x.change.high)}]`;
    const test = x.test ? `, Mann-Whitney ${formatP(x.test.pValue)}` : '';
    const hl = x.hodgesLehmannMs === null ? '' : `, Hodges-Lehmann ${signed(x.hodgesLehmannMs)}`;
    const verdict =
      x.verdict === 'no significant change' ? c.green('no significant change') : c.bold(x.verdict === 'higher' ? 'higher' : 'lower');
    out.push(`${name}${then} → ${now}: ${verdict} ${interval}${hl}${test}`);
  }
  return out;
}
