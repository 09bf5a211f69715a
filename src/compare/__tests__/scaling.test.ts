import { fixtureComparison, fixtureRounds } from '../../../test/support/comparisonFixture';
import { scaling } from '../scaling';
import { scalingText } from '../../cli/format/scalingText';
import { colours } from '../../cli/terminal';
import { mulberry32 } from '../../stats/prng';

/**
 * Comparisons at sizes 1, 2, 4, 8 where none takes 100 + 50·size ms and docker costs 400 + 4·size
 * ms more in the same round; every round shares one machine drift (a common term both backends
 * pay), which the per-round pairing must cancel.
 */
function synthetic(seed: number, rounds = 12, parameter = 'size'): ReturnType<typeof fixtureComparison>[] {
  const random = mulberry32(seed);
  return [1, 2, 4, 8].map((size) => {
    const none: number[] = [];
    const docker: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const drift = random() * 200 * size;
      none.push(100 + 50 * size + drift);
      docker.push(100 + 50 * size + drift + 400 + 4 * size + (random() - 0.5) * 20);
    }
    return fixtureComparison([fixtureRounds('none', none), fixtureRounds('docker', docker)], { parameters: { [parameter]: String(size) } });
  });
}

describe('scaling', () => {
  test('recovers the known fixed cost and cost per unit of isolation, and extrapolates with an interval', () => {
    const s = scaling(synthetic(3), 'size', 100_000);
    expect(s.sizes).toEqual([1, 2, 4, 8]);
    const docker = s.backends.find((b) => b.backend === 'docker');
    expect(docker?.measure).toBe('isolation');
    expect(docker?.fixedMs?.low).toBeLessThan(400);
    expect(docker?.fixedMs?.high).toBeGreaterThan(400);
    expect(docker?.perUnitMs?.estimate).toBeCloseTo(4, 0);
    expect(docker?.perUnitMs?.low).toBeLessThan(4);
    expect(docker?.perUnitMs?.high).toBeGreaterThan(4);
    const far = docker?.atMs;
    expect(far?.low).toBeLessThan(400 + 4 * 100_000);
    expect(far?.high).toBeGreaterThan(400 + 4 * 100_000);
    expect(docker?.perSize.map((p) => p.count)).toEqual([12, 12, 12, 12]);
  });

  test('the baseline is fitted on its own run time', () => {
    const s = scaling(synthetic(5), 'size');
    const none = s.backends.find((b) => b.backend === 'none');
    expect(none?.measure).toBe('duration');
    // 50 ms per size plus the drift's mean, 100 ms per size.
    expect(none?.perUnitMs?.estimate).toBeGreaterThan(100);
    expect(none?.atMs).toBeNull();
  });

  test('failed rounds are left out of the pairs', () => {
    const results = synthetic(9, 6).map((r, i) =>
      i === 0
        ? fixtureComparison(
            [fixtureRounds('none', [100, null, 100, 100, 100, 100]), fixtureRounds('docker', [504, 504, null, 504, 504, 504])],
            {
              parameters: { size: '1' },
            },
          )
        : r,
    );
    expect(scaling(results, 'size').backends[1]?.perSize[0]).toEqual({ size: 1, count: 4, meanMs: 404 });
  });

  test('a comparison without the size parameter is refused, naming it', () => {
    expect(() => scaling([fixtureComparison([fixtureRounds('none', [1, 2])])], 'files')).toThrow(
      /^Expected `the parameter files` to be a number in every scaled comparison, got `undefined`/,
    );
  });

  test('the text names the line per backend and the extrapolation, with digits grouped', () => {
    const text = scalingText(scaling(synthetic(3, 12, 'files'), 'files', 100_000), colours(process.stdout, {}, false));
    expect(text).toContain('Scaling with files (1, 2, 4, 8): cost = a + b·files');
    expect(text).toMatch(
      /docker {2}isolation \(− none\) +a \+\d+\.\d ms \[\+\d+\.\d ms … \+\d+\.\d ms\], b \+\d\.\d\d ms \[.*\] per unit of files/,
    );
    expect(text).toMatch(
      /At 100 000 files:\n {2}none {4}runs in .*\n {2}docker {2}costs \+\d+\.\d{3} s \[\+\d+\.\d{3} s … \+\d+\.\d{3} s\]/,
    );
  });
});
