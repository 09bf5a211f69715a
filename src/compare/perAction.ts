/**
 * Per action or per build (docs/large-projects.md): one multi-action build run two ways on each
 * backend, interleaved round by round, at two sizes or more (numbers of actions):
 * - whole: the build in one sandbox (its make in one run);
 * - per action: each action (compiler call, archive, link) in its own sandbox, one after the other.
 *
 * Against the baseline (none) in the same round, each way's cost of isolation is fitted as a line
 * in the number of actions n (stats/linearFit.ts):
 *   whole:      F + g·n   (F: one sandbox's fixed cost, g: what each action loses inside it)
 *   per action: c₀ + f·n  (f: the per-action fixed cost, c₀ ≈ 0)
 * Per-action sandboxing costs more than one sandbox for the build once n > n* = (F − c₀) / (f − g),
 * the break-even number of actions (null when f <= g: it never costs more). Whether it is affordable
 * depends on the action's own length: f against the mean action's time on the baseline.
 */
import type { BackendName } from '../runners/types';
import { fitLine, type SizedValues } from '../stats/linearFit';
import type { Interval } from '../stats/intervals';
import { mean } from '../stats/descriptive';
import { pairedRounds, type Rounds } from '../stats/paired';
import { expectation } from '../validation';

export interface PerActionRounds {
  backend: BackendName;
  /** Per size: the build in one sandbox and the actions each in their own, per round (ms, null: failed). */
  sizes: { actions: number; wholeMs: Rounds; perActionMs: Rounds }[];
}

export interface PerActionCost {
  backend: BackendName;
  /** The line through the whole build's cost of isolation: a = F, b = g. */
  wholeFixedMs: Interval | null;
  wholePerActionMs: Interval | null;
  /** The line through per-action sandboxing's cost of isolation: a = c₀, b = f. */
  perActionFixedMs: Interval | null;
  perActionMs: Interval | null;
  /** n* (see above); null when it cannot be computed or per-action never costs more. */
  breakEvenActions: number | null;
  /** f as a fraction of the mean action's own time on the baseline; null without both. */
  costPerActionTime: number | null;
}

export interface PerActionTable {
  baseline: BackendName;
  actions: number[];
  /** The baseline's mean time per action run one by one (ms), at the largest size. */
  baselineActionMs: number | null;
  backends: PerActionCost[];
}

function differences(a: Rounds, b: Rounds): number[] {
  const pairs = pairedRounds(a, b);
  return pairs.a.map((x, i) => x - (pairs.b[i] as number));
}

export function perActionTable(all: readonly PerActionRounds[], baseline: BackendName = 'none'): PerActionTable {
  const base = all.find((r) => r.backend === baseline);
  if (!base)
    throw new TypeError(
      expectation(
        'rounds',
        `a list that holds the baseline ${baseline}`,
        all.map((r) => r.backend),
      ),
    );
  const largest = base.sizes.reduce<(typeof base.sizes)[number] | null>((m, s) => (m && m.actions >= s.actions ? m : s), null);
  const ownRuns = largest ? largest.perActionMs.filter((v): v is number => v !== null) : [];
  const baselineActionMs = largest && ownRuns.length > 0 ? mean(ownRuns) / largest.actions : null;
  const backends = all
    .filter((r) => r.backend !== baseline)
    .map((r): PerActionCost => {
      const whole: SizedValues[] = [];
      const each: SizedValues[] = [];
      for (const s of r.sizes) {
        const b = base.sizes.find((x) => x.actions === s.actions);
        if (!b)
          throw new TypeError(
            expectation(
              `the baseline's sizes`,
              `a list that includes ${s.actions} actions, as ${r.backend}'s does`,
              base.sizes.map((x) => x.actions),
            ),
          );
        whole.push({ size: s.actions, values: differences(s.wholeMs, b.wholeMs) });
        each.push({ size: s.actions, values: differences(s.perActionMs, b.perActionMs) });
      }
      const w = fitLine(whole);
      const p = fitLine(each);
      const gap = w && p ? p.slope.estimate - w.slope.estimate : 0;
      return {
        backend: r.backend,
        wholeFixedMs: w ? w.intercept : null,
        wholePerActionMs: w ? w.slope : null,
        perActionFixedMs: p ? p.intercept : null,
        perActionMs: p ? p.slope : null,
        breakEvenActions: w && p && gap > 0 ? Math.max(0, (w.intercept.estimate - p.intercept.estimate) / gap) : null,
        costPerActionTime: p && baselineActionMs ? p.slope.estimate / baselineActionMs : null,
      };
    });
  return { baseline, actions: base.sizes.map((s) => s.actions), baselineActionMs, backends };
}
