import type { ComparisonResult } from '../../src/compare/compareBackends';
import { summarizeBackends, type BackendRounds } from '../../src/compare/summarizeBackends';

/** One backend's rounds as compare collects them: `null` is a failed round (exit 1), CPU 1 ms user, 0.5 ms system. */
export function fixtureRounds(
  backend: BackendRounds['backend'],
  roundsMs: (number | null)[],
  firstError: string | null = null,
): BackendRounds {
  return {
    backend,
    roundsMs,
    exitCodes: roundsMs.map((d) => (d === null ? 1 : 0)),
    cpu: roundsMs.map(() => ({ userMs: 1, systemMs: 0.5 })),
    phases: [],
    failures: roundsMs.filter((d) => d === null).length,
    firstError,
    prepareMs: 0,
    teardownMs: 0,
    warmupRuns: 0,
  };
}

/** A comparison of `node build.js` against `none` over those rounds, as compareBackends returns it. */
export function fixtureComparison(all: BackendRounds[], extra: Partial<ComparisonResult> = {}): ComparisonResult {
  return {
    command: ['node', 'build.js'],
    runs: all[0]?.roundsMs.length ?? 0,
    warmup: 1,
    warmupMode: 'fixed',
    stoppedBy: 'runs',
    adaptive: null,
    precision: null,
    baseline: 'none',
    startedAt: '2026-12-01T00:00:00.000Z',
    machine: { node: 'v20', platform: 'linux', cpus: 2, cpuModel: 'x' },
    fingerprint: null,
    backends: summarizeBackends(all, 0),
    mitigations: [],
    ...extra,
  };
}
