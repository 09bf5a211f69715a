import { detectChangePoints } from '../src/stats/changePoints';
import { noiseRows, pureNoise, qualityMarkdown, qualityRows } from './changeQuality';
import { steps } from './changeSeries';
import { formatCount, formatNs, markdownTable, measureInterleaved, ratio, formatRatio, type ScenarioResult } from './harness';

const SIZE = 100_000;

/**
 * Change-point detection over a history of 100 000 runs (target: ≤ 2 s), on pure lognormal noise
 * and on a series with a step every 80 to 240 runs, against sorting the same values once (a cost
 * every reader of the series pays, as a yardstick); then the quality table of docs/change-points.md.
 */
export async function changesBench(): Promise<ScenarioResult> {
  const noise = pureNoise(9, 0.1, SIZE);
  const stepped = steps(3, 0.15, 700, 0.1).values.subarray(0, SIZE);
  const found = { noise: 0, steps: 0 };
  const times = await measureInterleaved(
    [
      { name: 'detectChangePoints, 100 000 runs of noise', run: () => void (found.noise = detectChangePoints(noise).length) },
      { name: 'detectChangePoints, 100 000 runs with steps', run: () => void (found.steps = detectChangePoints(stepped).length) },
      { name: 'baseline: sort the 100 000 values', run: () => void Float64Array.from(noise).sort() },
    ],
    { ops: 1, warmup: 1, reps: 7 },
  );
  const base = times.get('baseline: sort the 100 000 values');
  const rows = [...times].map(([name, s]) => [
    name,
    formatNs(s.median),
    formatNs(s.min),
    formatNs(s.max),
    base ? formatRatio(ratio(s, base)) : 'n/a',
    name.includes('noise') ? formatCount(found.noise) : name.includes('steps') ? formatCount(found.steps) : '',
  ]);
  console.log(markdownTable(['contender', 'median', 'min', 'max', '× sort', 'changes found'], rows));
  const quality = qualityMarkdown(qualityRows(), noiseRows());
  console.log(`\n${quality}`);
  const worst = Math.max(...[...times].filter(([n]) => n.startsWith('detect')).map(([, s]) => s.median));
  return {
    title: 'Change points over 100 000 runs',
    markdown: [
      `E-divisive means + t-test (src/stats/changePoints.ts, default options), ${formatCount(SIZE)} lognormal runs (σ 0.1),`,
      'medians of 7 samples after 1 warm-up, against sorting the same values. docs/change-points.md explains the method.',
      '',
      markdownTable(['contender', 'median', 'min', 'max', '× sort', 'changes found'], rows, [false, true, true, true, true, true]),
      '',
      '### Quality',
      '',
      quality,
    ].join('\n'),
    targets: [{ name: 'change points over 100 000 runs (median, slower series)', value: worst / 1e6, op: '<=', limit: 2000, unit: 'ms' }],
  };
}
