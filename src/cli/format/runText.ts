import type { SandboxRun } from '../../runners/runInSandbox';
import { printable } from '../../printable';
import { formatMs, type Colours } from '../terminal';

/**
 * The line `run` prints on stderr after the command: the record, its phases, and the backend's
 * prepare + teardown when `run` created it, and the run's own set-up and teardown around its timed
 * window (host backends). That time is outside the record and named after the
 * backend's own methods: called "setup" it sat on one line with the `setup` phase, another figure.
 */
export function runLine(run: SandboxRun, thresholdMs: number, c: Colours): string {
  const { record, result, setup } = run;
  const phases = Object.entries(result.phases)
    .map(([p, ms]) => `${p} ${formatMs(ms)}`)
    .join(', ');
  const outcome = result.outcome === 'success' ? c.green(result.outcome) : c.red(result.outcome);
  return (
    `${c.bold('sandbox-perf:')} ${record.sandboxId} ${outcome} in ${c.bold(formatMs(record.durationMs))}` +
    (phases ? ` (${phases})` : '') +
    (setup && setup.prepareMs >= 1 ? `, prepare + teardown ${formatMs(setup.prepareMs + setup.teardownMs)} not counted` : '') +
    (result.untimed ? `, the run's set-up + teardown ${formatMs(result.untimed.setupMs + result.untimed.teardownMs)} not counted` : '') +
    (record.alertFired ? c.yellow(` — ALERT: over the ${thresholdMs} ms threshold`) : '') +
    (result.error && result.outcome !== 'success' ? ` — ${printable(result.error)}` : '')
  );
}
