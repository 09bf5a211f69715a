import { detectChangePoints, type ChangePointOptions } from '../src/stats/changePoints';
export { steps } from './changeSeries';
import { generate, normals, steps, type KnownSeries } from './changeSeries';
import { markdownTable } from './harness';

/** A detected change within this many points of a true one finds it (each true change found at most once). */
export const TOLERANCE = 5;

export interface Score {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
}

/** Greedy matching in index order: a detection takes the nearest unmatched true change within the tolerance. */
export function score(detected: readonly number[], truth: readonly number[], tolerance = TOLERANCE): Score {
  const used = new Set<number>();
  let tp = 0;
  for (const d of detected) {
    let best = -1;
    for (let i = 0; i < truth.length; i++) {
      if (used.has(i) || Math.abs((truth[i] as number) - d) > tolerance) continue;
      if (best < 0 || Math.abs((truth[i] as number) - d) < Math.abs((truth[best] as number) - d)) best = i;
    }
    if (best >= 0) {
      used.add(best);
      tp++;
    }
  }
  return { truePositives: tp, falsePositives: detected.length - tp, falseNegatives: truth.length - tp };
}

export interface Scenario {
  name: string;
  /** σ of the log of the noise: 0.05 ≈ 5 % coefficient of variation. */
  sigma: number;
  /** What the truth is, in words, for the table. */
  truth: string;
  /** true when the series has no abrupt change: the table then counts the changes reported, not precision. */
  noTruth?: boolean;
  series: (seed: number) => KnownSeries;
}

const SEGMENTS = 6;
/** Noise levels of the table: run times of one workload repeated on a quiet and on a busy machine. */
export const NOISE_SIGMAS = [0.05, 0.1] as const;

function scenariosAt(sigma: number): Scenario[] {
  const pct = `${Math.round(sigma * 100)} %`;
  return [
    ...[0.05, 0.15, 0.5].map((step) => ({
      name: `step ${Math.round(step * 100)} %`,
      sigma,
      truth: `5 steps of ±${Math.round(step * 100)} % in ${pct} noise`,
      series: (seed: number) => steps(seed, step, SEGMENTS, sigma),
    })),
    {
      name: 'step 15 % + 2 % outliers (5×)',
      sigma,
      truth: '5 steps of ±15 %',
      series: (seed) => steps(seed, 0.15, SEGMENTS, sigma, 0.02),
    },
    {
      name: 'slow drift +30 % over 1 000 runs',
      sigma,
      truth: 'no step (changes reported per series)',
      noTruth: true,
      series: (seed) => ({ values: generate({ length: 1000, sigma, level: (i) => 1000 * (1 + (0.3 * i) / 1000) }, seed), changes: [] }),
    },
    {
      name: `variance only: σ ${sigma} → ${sigma * 4} at 500`,
      sigma,
      truth: '1 change of spread, same mean',
      series: (seed) => ({
        values: generate({ length: 1000, sigma, sigmaAt: (i) => (i < 500 ? sigma : sigma * 4), level: () => 1000 }, seed),
        changes: [500],
      }),
    },
  ];
}

export const SCENARIOS: readonly Scenario[] = NOISE_SIGMAS.flatMap(scenariosAt);
/** Seeds of the series of each scenario: 20 series, about 1 000 runs each. */
export const SEEDS: readonly number[] = Array.from({ length: 20 }, (_, i) => i + 1);

export interface QualityRow {
  scenario: string;
  sigma: number;
  truth: string;
  noTruth: boolean;
  series: number;
  score: Score;
  precision: number;
  recall: number;
}

export function evaluate(scenario: Scenario, seeds: readonly number[] = SEEDS, options: ChangePointOptions = {}): QualityRow {
  const total: Score = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };
  for (const seed of seeds) {
    const { values, changes } = scenario.series(seed);
    const s = score(
      detectChangePoints(values, options).map((c) => c.index),
      changes,
    );
    total.truePositives += s.truePositives;
    total.falsePositives += s.falsePositives;
    total.falseNegatives += s.falseNegatives;
  }
  const found = total.truePositives + total.falsePositives;
  const real = total.truePositives + total.falseNegatives;
  return {
    scenario: scenario.name,
    sigma: scenario.sigma,
    truth: scenario.truth,
    noTruth: scenario.noTruth === true,
    series: seeds.length,
    score: total,
    precision: found === 0 ? 1 : total.truePositives / found,
    recall: real === 0 ? 1 : total.truePositives / real,
  };
}

/** 10 000 independent lognormal values (σ of the log given), seeded: no change is the right answer. */
export function pureNoise(seed: number, sigma: number, length = 10_000): Float64Array {
  const z = normals(seed);
  return Float64Array.from({ length }, () => 1000 * Math.exp(sigma * z()));
}

/** The pure-noise rows: seeds and σ of the table. */
export const NOISE_SEEDS: readonly number[] = [1, 2, 3, 4, 5];
export const PURE_NOISE_SIGMAS: readonly number[] = [0.05, 0.1, 0.3, 0.8];

export interface NoiseRow {
  sigma: number;
  /** Changes reported on each seed's 10 000 values. */
  found: number[];
}

export function noiseRows(options: ChangePointOptions = {}): NoiseRow[] {
  return PURE_NOISE_SIGMAS.map((sigma) => ({
    sigma,
    found: NOISE_SEEDS.map((seed) => detectChangePoints(pureNoise(seed, sigma), options).length),
  }));
}

const fixed = (x: number): string => x.toFixed(2);

/** The quality table of docs/change-points.md. */
export function qualityMarkdown(rows: readonly QualityRow[], noise: readonly NoiseRow[]): string {
  const body = rows.map((r) => [
    r.scenario,
    `${r.sigma}`,
    r.truth,
    `${r.score.truePositives + r.score.falseNegatives}`,
    `${r.score.truePositives + r.score.falsePositives}`,
    r.noTruth ? '—' : `${r.score.truePositives}`,
    r.noTruth ? '—' : fixed(r.precision),
    r.noTruth ? `${fixed(r.score.falsePositives / r.series)} per series` : fixed(r.recall),
  ]);
  const noiseBody = noise.map((n) => [
    `${NOISE_SEEDS.length} × 10 000 lognormal values`,
    `${n.sigma}`,
    n.found.join(', '),
    `${n.found.reduce((a, b) => a + b, 0)}`,
  ]);
  return [
    `${rows[0]?.series ?? 0} series of about 1 000 runs per row (fixed seeds), default options; a change found within ±${TOLERANCE} runs of a`,
    'true one counts as found (each true change once); σ is that of the log of the lognormal noise (0.05 ≈ 5 % spread).',
    '',
    markdownTable(['series', 'σ', 'truth', 'true changes', 'reported', 'found', 'precision', 'recall'], body, [
      false,
      true,
      false,
      true,
      true,
      true,
      true,
      true,
    ]),
    '',
    'Pure noise, no change in truth (seeds 1 to 5):',
    '',
    markdownTable(['series', 'σ', 'changes reported per seed', 'total'], noiseBody, [false, true, false, true]),
  ].join('\n');
}

export function qualityRows(options: ChangePointOptions = {}): QualityRow[] {
  return SCENARIOS.map((s) => evaluate(s, SEEDS, options));
}
