/**
 * Today's comparison against a saved one (`compare --baseline NAME`). Rounds of two comparisons
 * are not paired, so each backend is compared as two independent samples (stats/twoSample.ts):
 * - the baseline backend (`none`) by its run times;
 * - every other backend by its overhead, the per-round difference to that day's baseline run, so
 *   that a machine that got faster or slower overall does not show as a change of overhead.
 * "no significant change" when the Welch interval of the change contains 0. Pure.
 */
import { DEFAULT_LEVEL, spans } from '../stats/intervals';
import { hodgesLehmannTwoSample, mannWhitneyU, welchInterval } from '../stats/twoSample';
import type { BackendName } from '../runners/types';
import type { BackendChange, BaselineComparison, ComparisonResult } from './comparisonResult';
import { fingerprintDifferences } from '../machine/noise';
import { pairedRounds } from '../stats/paired';
import { successes } from './precision';

/** The samples compared for each backend of a comparison: run times of its baseline, overheads of the rest. */
export function changeSamples(result: ComparisonResult): Map<BackendName, { metric: BackendChange['metric']; values: number[] }> {
  const base = result.backends.find((b) => b.backend === result.baseline);
  const out = new Map<BackendName, { metric: BackendChange['metric']; values: number[] }>();
  for (const b of result.backends) {
    if (b.backend === result.baseline || !base) {
      out.set(b.backend, { metric: 'duration', values: successes(b.roundsMs) });
      continue;
    }
    const pairs = pairedRounds(b.roundsMs, base.roundsMs);
    out.set(b.backend, { metric: 'overhead', values: pairs.a.map((x, i) => x - (pairs.b[i] as number)) });
  }
  return out;
}

const meanOrNull = (values: readonly number[]): number | null => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : null);

export function compareWithSaved(today: ComparisonResult, saved: ComparisonResult, name: string): BaselineComparison {
  const now = changeSamples(today);
  const then = changeSamples(saved);
  const backends: BackendChange[] = [];
  for (const [backend, t] of now) {
    const s = then.get(backend);
    if (!s || s.metric !== t.metric) continue;
    const change = welchInterval(t.values, s.values, DEFAULT_LEVEL);
    backends.push({
      backend,
      metric: t.metric,
      savedMeanMs: meanOrNull(s.values),
      todayMeanMs: meanOrNull(t.values),
      change,
      test: mannWhitneyU(t.values, s.values),
      hodgesLehmannMs: hodgesLehmannTwoSample(t.values, s.values),
      verdict: change === null ? 'too few runs' : spans(change) ? 'no significant change' : change.estimate > 0 ? 'higher' : 'lower',
    });
  }
  return {
    name,
    savedAt: saved.startedAt,
    sameCommand: JSON.stringify(today.command) === JSON.stringify(saved.command),
    machineDifferences: today.fingerprint && saved.fingerprint ? fingerprintDifferences(saved.fingerprint, today.fingerprint) : [],
    backends,
  };
}
