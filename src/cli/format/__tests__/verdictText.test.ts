import { mitigationSavings } from '../../../compare/mitigations';
import { colours } from '../../terminal';
import { mitigationLines } from '../mitigationText';
import { summaryLines } from '../summaryText';
import { summarizeBackends } from '../../../compare/summarizeBackends';
import { fixtureComparison as comparison, fixtureRounds as rounds } from '../../../../test/support/comparisonFixture';

const plain = colours({ isTTY: false } as never, {});

test('few rounds: 5 pairs are said not to reach p < 0.0625, 6 pairs need no note', () => {
  const five = summaryLines(comparison([rounds('none', [10, 11, 12, 10, 11]), rounds('docker', [50, 52.5, 51.2, 53.9, 54.4])]), plain).join(
    '\n',
  );
  expect(five).toMatch(/Wilcoxon p = 0\.063/);
  expect(five).toMatch(
    /5 pair\(s\) cannot reach Wilcoxon p < 0\.0625; the verdicts come from the 95 % intervals\. --runs 12 or --runs auto/,
  );
  // Tied differences: the normal approximation, which has no such floor, so no note.
  const tied = summaryLines(comparison([rounds('none', [10, 11, 12, 10, 11]), rounds('docker', [50, 51, 52, 50, 51])]), plain);
  expect(tied.join('\n')).not.toMatch(/cannot reach/);
  const six = summaryLines(
    comparison([rounds('none', [10, 11, 12, 10, 11, 12]), rounds('docker', [50, 52.5, 51.2, 53.9, 54.4, 55.8])]),
    plain,
  );
  expect(six.join('\n')).not.toMatch(/cannot reach/);
});

test('a negative saving is printed as a cost, with "times slower", never as "saves -94 ms"', () => {
  const [gvisor, pool] = summarizeBackends([rounds('gvisor', [1000, 1100, 900]), rounds('gvisor-pool', [1100, 1200, 1000])], 0);
  const savings = mitigationSavings([
    { backend: 'gvisor', summary: (gvisor as NonNullable<typeof gvisor>).summary },
    { backend: 'gvisor-pool', summary: (pool as NonNullable<typeof pool>).summary },
  ]);
  const text = mitigationLines(savings, plain).join('\n');
  expect(text).toMatch(
    /gvisor-pool {2}costs 100\.0 ms ± [\d.]+ ms more per run than gvisor {2}\(100\.0 ± [\d.]+ s lost per 1 000 runs, 1\.10 ± 0\.\d\d times slower\)/,
  );
  expect(text).not.toMatch(/saves|−|-\d/);
  const [docker, warm] = summarizeBackends([rounds('docker', [600, 610, 590]), rounds('docker-warm', [100, 110, 90])], 0);
  const saved = mitigationLines(
    mitigationSavings([
      { backend: 'docker', summary: (docker as NonNullable<typeof docker>).summary },
      { backend: 'docker-warm', summary: (warm as NonNullable<typeof warm>).summary },
    ]),
    plain,
  ).join('\n');
  expect(saved).toMatch(
    /docker-warm {2}saves 500\.0 ms ± [\d.]+ ms per run against docker {2}\(500\.0 ± [\d.]+ s per 1 000 runs, 6\.00 ± [\d.]+ times faster\)/,
  );
});
