/**
 * The parameters of change-point detection (src/stats/changePoints.ts), their defaults and their
 * validation: errors in the one message shape of src/validation.ts.
 */
import { assertNumberInRange, assertOneOf, assertPlainObject, expectation, ValidationError } from '../validation';

export interface ChangePointOptions {
  /** A change is reported when the t-test's two-sided p-value is below this. @default 0.001 */
  significance?: number;
  /** Fewest points on each side of a change (between it and its neighbours). @default 6 */
  minSegment?: number;
  /**
   * Smallest relative change reported, as max(|after/before − 1|, |before/after − 1|) of the
   * means (0.05 = 5 %). @default 0.02
   */
  minRelativeChange?: number;
  /** Points in each E-divisive window; windows overlap by half. @default 120 */
  window?: number;
  /**
   * What the search and the test see: `log` compares ratios (durations vary by ratios, and
   * lognormal noise becomes normal, which the t-test assumes); `linear` the values themselves.
   * @default 'log' when every value is > 0, else 'linear'
   */
  scale?: 'log' | 'linear';
  /** Epoch ms of each value (same length as the values), copied into each change's `time`. */
  times?: ArrayLike<number>;
}

export const CHANGE_POINT_DEFAULTS = Object.freeze({
  significance: 0.001,
  minSegment: 6,
  minRelativeChange: 0.02,
  window: 120,
} as const);

/** Largest window accepted: the window's table of pair sums takes (window + 1)² × 8 bytes. */
export const MAX_CHANGE_POINT_WINDOW = 2000;

export type ChangePointSettings = Required<Omit<ChangePointOptions, 'times'>>;

function allPositive(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!((values[i] as number) > 0)) return false;
  return true;
}

/** The options with their defaults filled in; throws on a bad option, value or time. */
export function resolveChangePointOptions(values: ArrayLike<number>, options: ChangePointOptions): ChangePointSettings {
  assertPlainObject('options', options);
  const list: unknown = values;
  if (!Array.isArray(list) && !(ArrayBuffer.isView(list) && !(list instanceof DataView))) {
    throw new ValidationError(expectation('values', 'an array of finite numbers', values));
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValidationError(expectation(`values[${i}]`, 'a finite number', v));
  }
  const s: ChangePointSettings = { ...CHANGE_POINT_DEFAULTS, scale: 'linear' };
  if (options.scale === undefined) {
    s.scale = allPositive(values) ? 'log' : 'linear';
  } else {
    assertOneOf('scale', options.scale, ['log', 'linear']);
    if (options.scale === 'log' && !allPositive(values)) {
      throw new RangeError(expectation('scale', "'linear' for a series with values <= 0", options.scale));
    }
    s.scale = options.scale;
  }
  if (options.significance !== undefined) {
    assertNumberInRange('significance', options.significance, Number.MIN_VALUE, 1);
    s.significance = options.significance;
  }
  if (options.minSegment !== undefined) {
    assertNumberInRange('minSegment', options.minSegment, 2, MAX_CHANGE_POINT_WINDOW / 2, true);
    s.minSegment = options.minSegment;
  }
  if (options.minRelativeChange !== undefined) {
    assertNumberInRange('minRelativeChange', options.minRelativeChange, 0);
    s.minRelativeChange = options.minRelativeChange;
  }
  if (options.window !== undefined) {
    assertNumberInRange('window', options.window, 4, MAX_CHANGE_POINT_WINDOW, true);
    s.window = options.window;
  }
  if (s.window < 2 * s.minSegment) {
    throw new RangeError(expectation('window', `an integer >= 2 × minSegment (${2 * s.minSegment})`, s.window));
  }
  // Checked as unknown: JavaScript callers may pass anything.
  const times: unknown = options.times;
  if (times !== undefined) {
    if (typeof times !== 'object' || times === null || (times as { length?: unknown }).length !== values.length) {
      throw new ValidationError(expectation('times', `an array of ${values.length} epoch ms (one per value)`, times));
    }
    const list = times as ArrayLike<unknown>;
    for (let i = 0; i < list.length; i++) {
      const t = list[i];
      if (typeof t !== 'number' || !Number.isFinite(t))
        throw new ValidationError(expectation(`times[${i}]`, 'a finite number (epoch ms)', t));
    }
  }
  return s;
}
