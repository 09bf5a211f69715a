/**
 * Change-point detection over a series in time order: E-divisive means (Matteson & James 2014)
 * with Student's t-test for significance, in sliding windows, then a merge that keeps only the
 * significant and large enough changes: the method of Apache Otava (Fleming et al. 2023,
 * "Hunter"). Pure: no I/O, the input is never modified. docs/change-points.md describes the
 * algorithm, its cost and where it differs from Otava.
 */
import { EnergyWindow } from './energyDivergence';
import { powerScale } from './powerScale';
import { medianOfRange } from './radixSelect';
import { ClippedSeries } from './robustClip';
import { SegmentMoments, type SeriesSource } from './segmentMoments';
import { pooledTTest } from './studentT';
import { resolveChangePointOptions, type ChangePointOptions, type ChangePointSettings } from './changePointOptions';

export type { ChangePointOptions } from './changePointOptions';

/** One side of a change: the values between it and the neighbouring change (or the series' end). */
export interface SegmentSummary {
  count: number;
  mean: number;
  /** Middle value, or the mean of the two middle values. */
  median: number;
}

export interface ChangePoint {
  /** Index of the first value after the change. */
  index: number;
  /** `times[index]`, or null without times. */
  time: number | null;
  before: SegmentSummary;
  after: SegmentSummary;
  /** after.mean / before.mean − 1 (0.18 = +18 %); null when before.mean is 0. */
  relativeChange: number | null;
  /** Two-sided p-value of Student's t-test between the two sides. */
  pValue: number;
}

/** Where the split step looks for candidates at a relaxed threshold (Otava's first pass). */
function relaxed(significance: number): number {
  return significance < 0.05 ? significance * 10 : significance < 0.5 ? significance * 2 : significance;
}

/**
 * Change points of `values`, ascending by index. Besides the input it holds O(n / 32) numbers: the
 * tested series (clipped, log or scaled) is derived range by range, the moments come from running
 * sums per block and the medians from a selection without copies; a series whose magnitudes would
 * overflow the sums is scaled by a power of two first (powerScale.ts), so a step from 1e308 to
 * −1e308 is found like any other (issue 23).
 */
export function detectChangePoints(values: ArrayLike<number>, options: ChangePointOptions = {}): ChangePoint[] {
  const settings = resolveChangePointOptions(values, options);
  const n = values.length;
  if (n < 2 * settings.minSegment) return [];
  const factor = powerScale(values);
  const tested = new ClippedSeries(values, settings.scale === 'log' ? Math.log : (v) => v * factor);
  const testedMoments = new SegmentMoments(tested);
  const valueMoments = new SegmentMoments(values, factor);
  const weak = split(tested, testedMoments, settings);
  const kept = merge(weak, testedMoments, valueMoments, n, settings);
  return describe(values, kept, testedMoments, valueMoments, settings, options.times);
}

/**
 * Otava's split step: E-divisive in windows of `window` points, each starting half a window
 * after the previous one (or at its last change point, when that is further), every candidate
 * kept that the t-test within the window finds significant at the relaxed threshold.
 */
function split(series: SeriesSource, moments: SegmentMoments, s: ChangePointSettings): number[] {
  const n = series.length;
  const step = Math.max(1, Math.floor(s.window / 2));
  const threshold = relaxed(s.significance);
  const found = new Set<number>();
  const width = Math.min(s.window, n);
  const energy = new EnergyWindow(width);
  const slice = new Float64Array(width);
  for (let start = 0; ;) {
    const end = Math.min(start + s.window, n);
    series.fill(start, end, slice);
    const inWindow = windowChangePoints(energy, slice, moments, start, end, s.minSegment, threshold);
    for (const index of inWindow) found.add(index);
    if (end === n) break;
    start = Math.max(inWindow.at(-1) ?? 0, start + step);
  }
  return [...found].sort((a, b) => a - b);
}

/** E-divisive inside [start, end), whose values are `slice`: split the range holding the best candidate while the t-test says so. */
function windowChangePoints(
  energy: EnergyWindow,
  slice: ArrayLike<number>,
  moments: SegmentMoments,
  start: number,
  end: number,
  minSegment: number,
  threshold: number,
): number[] {
  if (end - start < 2 * minSegment) return [];
  energy.load(slice, 0, end - start, start);
  const bounds = [start, end];
  // Best candidate of each range [bounds[i], bounds[i + 1]), computed once per range.
  const candidates: ({ index: number; q: number } | undefined)[] = [energy.bestSplit(start, end, minSegment)];
  for (;;) {
    let pick = -1;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      if (c && (pick < 0 || c.q > (candidates[pick] as { q: number }).q)) pick = i;
    }
    if (pick < 0) break;
    const a = bounds[pick] as number;
    const b = bounds[pick + 1] as number;
    const tau = (candidates[pick] as { index: number }).index;
    if (pooledTTest(moments.of(a, tau), moments.of(tau, b)).p >= threshold) break;
    bounds.splice(pick + 1, 0, tau);
    candidates.splice(pick, 1, energy.bestSplit(a, tau, minSegment), energy.bestSplit(tau, b, minSegment));
  }
  return bounds.slice(1, -1);
}

interface Weak {
  index: number;
  p: number;
  magnitude: number;
  /** A side shorter than minSegment: dropped before any other. */
  short: boolean;
}

/**
 * Otava's merge step: while some change point is not significant, drop the weakest (highest
 * p-value) and test its neighbours again against their new neighbours; then, while the smallest
 * change is below minRelativeChange, drop it likewise. Points closer than minSegment to a
 * neighbour (found in different windows) are dropped first.
 */
function merge(indexes: number[], tested: SegmentMoments, raw: SegmentMoments, n: number, s: ChangePointSettings): number[] {
  const points: Weak[] = indexes.map((index) => ({ index, p: 1, magnitude: 0, short: false }));
  const evaluate = (i: number): void => {
    const point = points[i];
    if (!point) return;
    const from = points[i - 1]?.index ?? 0;
    const to = points[i + 1]?.index ?? n;
    const before = tested.of(from, point.index);
    const after = tested.of(point.index, to);
    point.short = before.count < s.minSegment || after.count < s.minSegment;
    point.p = adjustedP(pooledTTest(before, after).p, to - from, s.minSegment);
    point.magnitude = magnitude(raw.of(from, point.index).mean, raw.of(point.index, to).mean);
  };
  for (let i = 0; i < points.length; i++) evaluate(i);
  while (points.length > 0) {
    let weakest = 0;
    for (let i = 1; i < points.length; i++) {
      if (weaker(points[i] as Weak, points[weakest] as Weak)) weakest = i;
    }
    const w = points[weakest] as Weak;
    if (!w.short && w.p < s.significance) {
      for (let i = 1; i < points.length; i++) {
        if ((points[i] as Weak).magnitude < (points[weakest] as Weak).magnitude) weakest = i;
      }
      if ((points[weakest] as Weak).magnitude >= s.minRelativeChange) break;
    }
    points.splice(weakest, 1);
    evaluate(weakest - 1);
    evaluate(weakest);
  }
  return points.map((p) => p.index);
}

/**
 * The t-test's p-value times the number of places the change could have been put between its
 * neighbours (Bonferroni): the split searched them all for the most different sides, so the raw
 * p-value of the best one is far too small on pure noise.
 */
export function adjustedP(p: number, length: number, minSegment: number): number {
  return Math.min(1, p * Math.max(1, length - 2 * minSegment + 1));
}

function weaker(a: Weak, b: Weak): boolean {
  if (a.short !== b.short) return a.short;
  return a.p > b.p;
}

/** Otava's change magnitude: the larger relative change, forwards or backwards; a zero mean counts as no change that way. */
function magnitude(before: number, after: number): number {
  const forward = before === 0 ? 0 : Math.abs(after / before - 1);
  const backward = after === 0 ? 0 : Math.abs(before / after - 1);
  return Math.max(forward, backward);
}

function describe(
  values: ArrayLike<number>,
  kept: readonly number[],
  tested: SegmentMoments,
  moments: SegmentMoments,
  s: ChangePointSettings,
  times: ArrayLike<number> | undefined,
): ChangePoint[] {
  const bounds = [0, ...kept, values.length];
  const segments: SegmentSummary[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const from = bounds[i] as number;
    const to = bounds[i + 1] as number;
    const m = moments.of(from, to);
    segments.push({ count: m.count, mean: m.mean, median: medianOfRange(values, from, to) });
  }
  return kept.map((index, i) => {
    const before = segments[i] as SegmentSummary;
    const after = segments[i + 1] as SegmentSummary;
    const test = pooledTTest(tested.of(bounds[i] as number, index), tested.of(index, bounds[i + 2] as number));
    return {
      index,
      time: times === undefined ? null : (times[index] as number),
      before,
      after,
      relativeChange: before.mean === 0 ? null : after.mean / before.mean - 1,
      pValue: adjustedP(test.p, (bounds[i + 2] as number) - (bounds[i] as number), s.minSegment),
    };
  });
}
