import type { MachineFingerprint } from '../../machine/fingerprint';

const known = (v: string | null): string => v ?? 'n/a';

/** One line: what a reader needs to tell two machines (or one machine in two states) apart. */
export function fingerprintLine(f: MachineFingerprint): string {
  const parts = [
    f.kernel,
    `${f.cpuModel} × ${f.cores}`,
    `governor ${known(f.governor)}`,
    `turbo ${f.turbo === null ? 'n/a' : f.turbo ? 'on' : 'off'}`,
    `SMT ${known(f.smt)}`,
    `THP ${known(f.transparentHugePages)}`,
    `load ${f.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
    `cgroup v${f.cgroupVersion ?? '?'}`,
  ];
  if (f.docker) parts.push(`Docker ${f.docker.version} (${f.docker.storageDriver}, ${f.docker.defaultRuntime})`);
  if (f.gvisor) parts.push(`${f.gvisor.version} (platform ${f.gvisor.platform})`);
  parts.push(`Node ${f.node}`, `sandbox-perf ${f.sandboxPerf}`);
  return parts.join(', ');
}
