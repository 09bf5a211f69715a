/**
 * Is the machine quiet enough to measure on? Checked before `compare` measures, as isolate
 * checks its environment before it runs a contest: pure functions over a fingerprint.
 * - load: the 1-minute load average above 0.5 per core means other work competes for the CPUs;
 * - governor: `powersave`, `conservative` and `schedutil` change the clock under the benchmark;
 * - turbo: boost makes the clock depend on temperature and on what the other cores do;
 * - transparent huge pages `always`: khugepaged compacts memory at unpredictable moments.
 * SMT is reported (siblings share a core) but not warned about: most machines have it.
 */
import type { MachineFingerprint } from './fingerprint';

export const LOAD_PER_CORE_LIMIT = 0.5;
const UNSTEADY_GOVERNORS = new Set(['powersave', 'conservative', 'schedutil', 'ondemand']);

export function noiseWarnings(f: MachineFingerprint): string[] {
  const out: string[] = [];
  const load = f.loadAverage[0];
  if (f.cores > 0 && load / f.cores > LOAD_PER_CORE_LIMIT) {
    out.push(
      `load average ${load.toFixed(2)} on ${f.cores} core(s) (> ${LOAD_PER_CORE_LIMIT} per core): other work competes with the runs; intervals will be wider`,
    );
  }
  if (f.governor !== null && UNSTEADY_GOVERNORS.has(f.governor)) {
    out.push(
      `CPU frequency governor is '${f.governor}': the clock changes under the benchmark (set 'performance', e.g. cpupower frequency-set -g performance)`,
    );
  }
  if (f.turbo === true)
    out.push('turbo boost is on: the clock depends on temperature and on the other cores (turn it off for steadier figures)');
  if (f.transparentHugePages === 'always') {
    out.push(
      "transparent huge pages are 'always': memory compaction can stall runs (echo madvise > /sys/kernel/mm/transparent_hugepage/enabled)",
    );
  }
  return out;
}

/** The fields whose difference makes two comparisons' figures not comparable (load is a warning, not an identity). */
export function fingerprintIdentity(f: MachineFingerprint): string {
  return JSON.stringify([
    f.kernel,
    f.cpuModel,
    f.cores,
    f.governor,
    f.turbo,
    f.smt,
    f.transparentHugePages,
    f.cgroupVersion,
    f.docker,
    f.gvisor,
  ]);
}

/** What differs between two fingerprints, as `field: a → b` lines (empty when they are comparable). */
export function fingerprintDifferences(a: MachineFingerprint, b: MachineFingerprint): string[] {
  const keys = [
    'kernel',
    'cpuModel',
    'cores',
    'governor',
    'turbo',
    'smt',
    'transparentHugePages',
    'cgroupVersion',
    'docker',
    'gvisor',
  ] as const;
  return keys
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k}: ${JSON.stringify(a[k])} → ${JSON.stringify(b[k])}`);
}
