import { summarize } from '../../stats/descriptive';
import { mitigationSavings } from '../mitigations';
import type { BackendName } from '../../runners/types';

const measured = (backend: BackendName, values: number[]) => ({ backend, summary: summarize(values) });

describe('mitigationSavings', () => {
  test('each mitigation against its unmitigated backend: saving ± propagated σ, per 1 000 runs ± 1 000 × SE, speedup', () => {
    // docker: mean 250, σ 10 (240, 260); docker-pool: mean 50, σ 10 (40, 60); docker-warm: mean 100, σ 0.
    const savings = mitigationSavings([
      measured('none', [40, 40]),
      measured('docker', [240, 260]),
      measured('docker-warm', [100, 100]),
      measured('docker-pool', [40, 60]),
    ]);
    expect(savings.map((s) => [s.mitigation, s.against, s.freshSandboxPerRun])).toEqual([
      ['docker-warm', 'docker', false],
      ['docker-pool', 'docker', true],
    ]);
    const sd = Math.sqrt(200); // sample σ of (240, 260) and of (40, 60)
    const pool = savings[1];
    expect(pool?.savingMs.difference).toBeCloseTo(200, 10);
    expect(pool?.savingMs.error).toBeCloseTo(Math.sqrt(2) * sd, 10);
    // 200 ms per run = 200 s per 1 000 runs; SE = sqrt(σ²/2 + σ²/2) = σ.
    expect(pool?.savingSecondsPer1000Runs.difference).toBeCloseTo(200, 10);
    expect(pool?.savingSecondsPer1000Runs.error).toBeCloseTo(sd, 10);
    expect(pool?.speedup?.ratio).toBeCloseTo(5, 10);
  });

  test('a mitigation without its unmitigated backend, or without a successful run, is left out', () => {
    expect(mitigationSavings([measured('none', [1]), measured('docker-pool', [2]), measured('gvisor-pool', [3])])).toEqual([]);
    expect(mitigationSavings([measured('gvisor', []), measured('gvisor-pool', [3])])).toEqual([]);
  });
});
