import type { MitigationSaving } from '../../compare/mitigations';
import { formatMs, type Colours, type TimeFormat } from '../terminal';

/** "X ± Y times faster" or, for a speed-up below 1, "times slower" with the error carried through 1/x. */
function speedupText(speedup: MitigationSaving['speedup']): string {
  if (!speedup) return '';
  const faster = speedup.ratio >= 1;
  const times = faster ? speedup.ratio : 1 / speedup.ratio;
  const error = faster ? speedup.error : speedup.error / (speedup.ratio * speedup.ratio);
  return `, ${times.toFixed(2)} ± ${error.toFixed(2)} times ${faster ? 'faster' : 'slower'}`;
}

/**
 * One line per mitigation: what it saves against the backend it replaces, or, when the mitigated
 * backend was the slower one in this comparison, what it costs (a negative saving is not a saving).
 */
export function mitigationLines(mitigations: readonly MitigationSaving[], c: Colours, time: TimeFormat = formatMs): string[] {
  if (mitigations.length === 0) return [];
  const out = ['', `${c.bold('Mitigations')} (saving against the unmitigated backend, same runs)`];
  const width = Math.max(...mitigations.map((m) => m.mitigation.length));
  for (const m of mitigations) {
    const saves = m.savingMs.difference >= 0;
    const perRun = `${time(Math.abs(m.savingMs.difference))} ± ${time(m.savingMs.error)}`;
    const per1000 = m.savingSecondsPer1000Runs;
    const verb = saves ? `saves ${c.bold(perRun)} per run against` : `${c.yellow('costs')} ${c.bold(perRun)} more per run than`;
    out.push(
      `  ${c.cyan(m.mitigation.padEnd(width))}  ${verb} ${m.against}` +
        `  (${Math.abs(per1000.difference).toFixed(1)} ± ${per1000.error.toFixed(1)} s ${saves ? '' : 'lost '}per 1 000 runs${speedupText(m.speedup)})` +
        (m.freshSandboxPerRun ? '' : `  ${c.yellow('shares one container between runs')}`),
    );
  }
  return out;
}
