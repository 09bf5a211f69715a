/*
 * A stored calibration read back (sandbox_calibrations.json): checked before predict multiplies a
 * build's counts by it. A row altered by hand or by another program would otherwise crash predict
 * on a missing field ("Cannot read properties of undefined") or print a wrong figure (a cost
 * "abc" gives NaN, 1e300 ms per page fault gives +6e298 s): each is refused in the one shape,
 * naming the row, the field and what it holds.
 */
import type { Calibration } from '../calibrate/calibration';
import { expectation, hasUnsafeChars, ValidationError } from '../validation';

/** No operation costs more than this (about 11.6 days): a larger figure is no measurement. */
const MAX_MS = 1e9;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses and checks calibration `id`'s JSON; throws a ValidationError naming the first bad field. */
export function parseCalibrationJson(id: number, text: string): Calibration {
  const where = `calibration ${String(id)}`;
  const bad = (field: string, what: string, value: unknown): never => {
    throw new ValidationError(
      `${expectation(`${where}: ${field}`, what, value)}; the history row was altered or not written by 'sandbox-perf calibrate': run it again`,
    );
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return bad('json', 'JSON', text);
  }
  const object = (value: unknown, field: string): Json => (isObject(value) ? value : bad(field, 'an object', value));
  const finite = (value: unknown, field: string, max = MAX_MS): number =>
    typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= max
      ? value
      : bad(field, `a finite number of at most ${String(max)} in size`, value);
  const name = (value: unknown, field: string): string =>
    typeof value === 'string' && value.length > 0 && value.length <= 64 && !hasUnsafeChars(value)
      ? value
      : bad(field, 'a name of 1 to 64 printable characters', value);
  const interval = (value: unknown, field: string): void => {
    const i = object(value, field);
    const [estimate, low, high] = (['estimate', 'low', 'high'] as const).map((k) => finite(i[k], `${field}.${k}`)) as [
      number,
      number,
      number,
    ];
    if (!(low <= estimate && estimate <= high)) bad(field, 'an interval with low <= estimate <= high', value);
  };
  const array = (value: unknown, field: string): unknown[] => (Array.isArray(value) ? value : bad(field, 'an array', value));

  const calibration = object(parsed, 'json');
  finite(calibration.scale, 'scale');
  finite(calibration.rounds, 'rounds');
  if (calibration.fingerprint !== null) object(calibration.fingerprint, 'fingerprint');
  const fit = object(calibration.fit, 'fit');
  name(fit.baseline, 'fit.baseline');
  const backends = array(fit.backends, 'fit.backends');
  backends.forEach((entry, b) => {
    const field = `fit.backends[${String(b)}]`;
    const backend = object(entry, field);
    name(backend.backend, `${field}.backend`);
    for (const k of ['startMs', 'fixedMs'] as const) interval(backend[k], `${field}.${k}`);
    if (backend.deltaStartMs !== null) interval(backend.deltaStartMs, `${field}.deltaStartMs`);
    // Absent from calibrations stored before the per-file cost: no such term then.
    for (const k of ['fixedPerFileMs', 'deltaFixedPerFileMs'] as const) {
      if (backend[k] !== undefined && backend[k] !== null) interval(backend[k], `${field}.${k}`);
    }
    const poorFit = array(backend.poorFit, `${field}.poorFit`);
    if (poorFit.some((p) => typeof p !== 'string')) bad(`${field}.poorFit`, 'an array of strings', poorFit);
    array(backend.costs, `${field}.costs`).forEach((c, k) => {
      const costField = `${field}.costs[${String(k)}]`;
      const cost = object(c, costField);
      name(cost.class, `${costField}.class`);
      interval(cost.msPerOp, `${costField}.msPerOp`);
      if (cost.deltaMsPerOp !== null) interval(cost.deltaMsPerOp, `${costField}.deltaMsPerOp`);
    });
  });
  return parsed as Calibration;
}
