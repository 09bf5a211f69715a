import type { ComparisonResult } from '../../compare/compareBackends';
import { byTotalCost, type IsolationCost } from '../../stats/isolationCost';
import { formatMs, type Colours, type TimeFormat } from '../terminal';
import { BASELINE_BACKEND } from '../../sandbox/types';
import { pairCounts } from './pairCounts';
import { signedTime } from './summaryText';

/** `total +2.10 s [+2.00 s … +2.20 s] = fixed +432 ms + in command +1.67 s`: the parts and total's interval. */
export function isolationCell(cost: IsolationCost, time: TimeFormat = formatMs): string {
  const signed = signedTime(time);
  return (
    `total ${signed(cost.total)} [${signed(cost.low)} … ${signed(cost.high)}]` +
    ` = fixed ${signed(cost.fixed)} + in command ${signed(cost.inCommand)}`
  );
}

/**
 * The whole cost of isolation per backend, most costly first (issue 26.1): the time around the
 * command (what the monitor's `overheadMs` measures) plus the command's own slowdown against
 * `none`, paired by round. Nothing without `none` among the backends.
 */
export function isolationLines(result: ComparisonResult, c: Colours, time: TimeFormat = formatMs): string[] {
  const costed = byTotalCost(result.backends).filter((b) => b.isolationMs !== null);
  if (costed.length === 0) return [];
  // none's rounds are paired with themselves: they count only when no other backend has a cost.
  const sandboxed = costed.filter((b) => b.backend !== BASELINE_BACKEND);
  const counts = pairCounts((sandboxed.length > 0 ? sandboxed : costed).map((b) => b.isolationMs?.runs ?? 0));
  const own = (b: (typeof costed)[number]): string =>
    b.backend === BASELINE_BACKEND && sandboxed.length > 0 ? '' : counts.own(b.isolationMs?.runs ?? 0);
  const out = [
    '',
    `${c.bold('Isolation cost')} (per run, against the command's time on none; 95 % interval of the total from ${counts.rounds}; most costly first)`,
  ];
  const width = Math.max(...costed.map((b) => b.backend.length));
  for (const b of costed)
    if (b.isolationMs) out.push(`  ${c.cyan(b.backend.padEnd(width))}  ${isolationCell(b.isolationMs, time)}${own(b)}`);
  return out;
}
