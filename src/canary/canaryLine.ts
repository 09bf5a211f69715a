import type { CanaryRound } from './canaryRound';

/** 3 significant digits, ms below a second and s above (as the dashboard shows them). */
function ms(value: number): string {
  return value < 1000 ? `${Number(value.toPrecision(3))} ms` : `${Number((value / 1000).toPrecision(3))} s`;
}

function span(value: number): string {
  if (value >= 3_600_000 && value % 3_600_000 === 0) return `${value / 3_600_000} h`;
  if (value >= 60_000) return `${Number((value / 60_000).toPrecision(3))} min`;
  return `${Math.max(0, Math.round(value / 1000))} s`;
}

/**
 * One line per round, e.g. `canary: round 12, 5 runs × 3 backends, 1.9 s wall, 0.4 s CPU, next in
 * 10 min · unshare 1.01× [0.98, 1.05] +2.1 ms · gvisor 1.62× [1.50, 1.71] +95 ms`: per backend the
 * slowdown inside the command against none with its 95 % interval, and the fixed cost per run.
 */
export function canaryLine(round: CanaryRound, backendCount: number, nextAt: number | null, now = Date.now()): string {
  const head =
    `canary: round ${round.round}, ${round.runs} run${round.runs === 1 ? '' : 's'} × ${backendCount} backends, ` +
    `${ms(round.wallMs)} wall, ${ms(round.cpu.totalMs)} CPU${nextAt === null ? '' : `, next in ${span(nextAt - now)}`}`;
  if (round.error !== null) return `${head} · failed: ${round.error}`;
  const parts = round.backends.map((b) => {
    const basis = b.basis === 'duration' ? ' (whole runs: no command timer)' : '';
    const ratio =
      b.ratio === null
        ? 'no ratio'
        : `${b.ratio.toFixed(2)}×${b.interval === null ? '' : ` [${b.interval.low.toFixed(2)}, ${b.interval.high.toFixed(2)}]`}${basis}`;
    const fixed = b.fixedCostMs === null ? '' : ` +${ms(b.fixedCostMs)}`;
    const failed = b.failures > 0 ? `, ${b.failures} failed` : '';
    return `${b.backend} ${ratio}${fixed}${failed}`;
  });
  const baseline = round.baselineFailures > 0 ? [`none: ${round.baselineFailures} failed`] : [];
  return [head, ...parts, ...baseline].join(' · ');
}
