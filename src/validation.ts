/**
 * Input validation shared by every public boundary. All messages have one shape:
 * ``Expected `name` to be <what>, got `<value>` (<type>)`` so that callers and tests can match them.
 */

import { nearest } from './nearest';

/**
 * A value of the wrong type or shape at a public boundary: the one class for validation failures,
 * so callers (and the CLI's exit code) can tell them from failures of the run itself. It extends
 * TypeError, and keeps that name, so `instanceof TypeError` and printed `TypeError: …` stay true.
 */
export class ValidationError extends TypeError {
  override name = 'TypeError';
}

const MAX_SHOWN = 60;

/** A string as an error message quotes it: JSON-quoted (controls escaped), cut after MAX_SHOWN characters. */
export function quotedForMessage(value: string): string {
  return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
}

/** Renders a value for an error message: `-1` (number), `"a…"` (string), `null` (null). */
export function describeValue(value: unknown): string {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  let shown: string;
  if (typeof value === 'string') {
    shown = quotedForMessage(value);
  } else if (typeof value === 'bigint') {
    shown = `${value}n`;
  } else if (typeof value === 'function' || typeof value === 'symbol') {
    shown = String(value).slice(0, MAX_SHOWN);
  } else {
    try {
      // JSON.stringify returns undefined for undefined and functions, whatever its declared type says.
      const json: unknown = JSON.stringify(value);
      shown = typeof json === 'string' ? json : String(value);
    } catch {
      shown = String(value);
    }
    if (typeof value === 'number') shown = String(value);
    if (shown.length > MAX_SHOWN) shown = `${shown.slice(0, MAX_SHOWN)}…`;
  }
  return `\`${shown}\` (${type})`;
}

export function expectation(name: string, what: string, value: unknown): string {
  return `Expected \`${name}\` to be ${what}, got ${describeValue(value)}`;
}

/** A command-line value (a flag's, a path) as a message shows it: `` `"0x2"` ``, its type left out (it is a string). */
export function describeArgument(raw: unknown): string {
  return describeValue(raw).replace(/ \(string\)$/, '');
}

/**
 * The shape for a command-line value, always a string: ``Expected `--runs` to be …, got `"0x2"` ``
 * (quoted, so an empty or padded value shows; no type, it is always a string).
 */
export function flagExpectation(flag: string, what: string, raw: unknown): string {
  return `Expected \`${flag}\` to be ${what}, got ${describeArgument(raw)}`;
}

/** Throws a TypeError for non-numbers and a RangeError for numbers outside [min, max]. */
export function assertNumberInRange(
  name: string,
  value: unknown,
  min: number,
  max = Number.POSITIVE_INFINITY,
  integer = false,
): asserts value is number {
  const what = `a finite ${integer ? 'integer' : 'number'} >= ${min}${max < Number.POSITIVE_INFINITY ? ` and <= ${max}` : ''}`;
  if (typeof value !== 'number') throw new ValidationError(expectation(name, what, value));
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new RangeError(expectation(name, what, value));
  }
}

export const MAX_ID_LENGTH = 256;
/**
 * C0 and C1 controls, and the invisible bidirectional controls that reorder what a terminal or a
 * table shows (U+061C, U+200E/200F, U+202A-202E, U+2066-2069).
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True for strings holding a control character, a bidirectional control or a lone surrogate. */
export function hasUnsafeChars(value: string): boolean {
  return UNSAFE_CHARS.test(value) || LONE_SURROGATE.test(value);
}

/**
 * The ids nearly every caller uses (printable ASCII, 1 to MAX_ID_LENGTH characters), accepted by one
 * regular expression: start() and the history check every id, and the two expressions of
 * hasUnsafeChars cost about half as much again (bench/startStop.ts). Anything else takes the full check.
 */
const PRINTABLE_ASCII_ID = new RegExp(`^[\\x20-\\x7e]{1,${MAX_ID_LENGTH}}$`);

/** Sandbox ids are stored and exported as labels: non-empty, at most 256 characters, printable. */
export function assertSandboxId(value: unknown, name = 'sandboxId'): asserts value is string {
  if (typeof value === 'string' && PRINTABLE_ASCII_ID.test(value)) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH || hasUnsafeChars(value)) {
    throw new ValidationError(
      expectation(
        name,
        `a non-empty string of at most ${MAX_ID_LENGTH} characters without control characters, bidirectional controls or lone surrogates`,
        value,
      ),
    );
  }
}

export function assertOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(expectation(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value));
  }
}

export function assertPlainObject(name: string, value: unknown): asserts value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(expectation(name, 'an object', value));
  }
}

/**
 * Unknown keys are a TypeError naming the key and the nearest known one: a misspelt option
 * (`{ tiemout: 5 }`) would otherwise be silently ignored.
 */
export function assertKnownKeys(name: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = nearest(key, known);
    throw new ValidationError(
      expectation(name, `an object with only the keys ${known.map((k) => `\`${k}\``).join(', ')}`, key) +
        (guess === undefined ? '' : `: did you mean \`${guess}\`?`),
    );
  }
}
