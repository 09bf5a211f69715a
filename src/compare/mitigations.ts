import type { BackendName } from '../runners/types';
import { BACKEND_NAMES, backendEntry } from '../runners/backendNames';
import type { SampleSummary } from '../stats/descriptive';
import { differenceWithError, ratioWithError, type Difference, type Ratio } from '../stats/ratio';

/** Each mitigation and the backend whose cost it cuts (the same isolation, started differently): `mitigates` in backends.ts. */
export const MITIGATES: Readonly<Partial<Record<BackendName, BackendName>>> = Object.freeze(
  Object.fromEntries(
    BACKEND_NAMES.flatMap((name) => {
      const against = backendEntry(name).mitigates as BackendName | null;
      return against === null ? [] : [[name, against]];
    }),
  ),
);

/** What one mitigation saved against its unmitigated backend, measured in the same comparison. */
export interface MitigationSaving {
  mitigation: BackendName;
  /** The unmitigated backend it is measured against. */
  against: BackendName;
  /** Unmitigated mean − mitigated mean, ms per run, ± σ propagated from both samples. */
  savingMs: Difference;
  /**
   * Expected saving over 1 000 runs, in seconds (the mean saving × 1 000 runs ÷ 1 000 ms/s), ± 1 000 ×
   * the standard error of the mean saving, sqrt(σa²/na + σb²/nb): how well the comparison knows the
   * total, which narrows with more runs (the per-run σ does not).
   */
  savingSecondsPer1000Runs: Difference;
  /** Unmitigated mean / mitigated mean ("X ± Y times faster"); null for a zero mean. */
  speedup: Ratio | null;
  /** Whether the mitigation still gives every run a fresh sandbox (docker-warm does not). */
  freshSandboxPerRun: boolean;
}

interface Measured {
  backend: BackendName;
  summary: SampleSummary;
}

/**
 * The saving of every mitigation compared alongside its unmitigated backend (both with at least
 * one successful run), in the order the mitigations were given. Pure: means and σ in, differences out.
 */
export function mitigationSavings(backends: readonly Measured[]): MitigationSaving[] {
  const byName = new Map(backends.map((b) => [b.backend, b.summary]));
  const savings: MitigationSaving[] = [];
  for (const { backend, summary } of backends) {
    const against = MITIGATES[backend];
    const base = against === undefined ? undefined : byName.get(against);
    if (against === undefined || base === undefined || base.count === 0 || summary.count === 0) continue;
    const savingMs = differenceWithError(base.meanMs, base.stddevMs, summary.meanMs, summary.stddevMs);
    savings.push({
      mitigation: backend,
      against,
      savingMs,
      savingSecondsPer1000Runs: {
        difference: savingMs.difference,
        error: Math.sqrt(base.stddevMs ** 2 / base.count + summary.stddevMs ** 2 / summary.count),
      },
      speedup: ratioWithError(base.meanMs, base.stddevMs, summary.meanMs, summary.stddevMs),
      freshSandboxPerRun: backendEntry(backend).freshPerRun,
    });
  }
  return savings;
}
