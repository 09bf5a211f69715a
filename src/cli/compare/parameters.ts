/**
 * hyperfine's parameters, with its meaning: `-P VAR MIN MAX [-D STEP]` scans a range,
 * `-L VAR a,b,c` lists values (repeatable: every combination), and each value replaces `{VAR}`
 * in the commands, the names and the hooks. A parameter is one dimension: a name and its values
 * as text, exactly as they will be substituted and recorded (hyperfine's JSON keeps them as text
 * too: `"parameters": { "size": "4" }`), so a scaling fit reads the same values the commands ran with.
 */
import { UsageError } from '../command';
import { CONTROL_CHARS } from '../../runners/workload';
import { describeArgument, flagExpectation } from '../../validation';

export interface Parameter {
  name: string;
  values: string[];
}

/** hyperfine's limit on a scan; each value here is a whole comparison across backends. */
export const MAX_SCAN_VALUES = 100_000;

/** `a,b\,c,d\\e` → `a`, `b,c`, `d\e`: a backslash escapes a comma or itself (hyperfine's tokenizer). */
export function splitValues(list: string): string[] {
  const values: string[] = [];
  let value = '';
  for (let i = 0; i < list.length; i++) {
    const c = list[i] as string;
    const d = list[i + 1];
    if (c === '\\' && (d === ',' || d === '\\')) {
      value += d;
      i++;
    } else if (c === ',') {
      values.push(value);
      value = '';
    } else value += c;
  }
  values.push(value);
  return values;
}

/**
 * VAR: letters, digits, `_` and `-` (as --scale-name). It becomes a CSV column (`parameter_VAR`)
 * and a JSON key: `-L 'a,b' 1` shifted every CSV column after it, and a newline split the header.
 */
function parameterName(flag: string, example: string, name: string): string {
  if (name === '') throw new UsageError(`${flagExpectation(flag, 'a parameter name first (VAR)', name)} (e.g. ${example})`);
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
    throw new UsageError(`${flagExpectation(flag, 'a parameter name of letters, digits, _ or - (VAR)', name)} (e.g. ${example})`);
  }
  return name;
}

/** `-L VAR VALUES`. */
export function parameterList([name = '', list = '']: readonly string[]): Parameter {
  const example = '-L compiler gcc,clang';
  const checked = parameterName('--parameter-list', example, name);
  // An empty VALUES is most often an unset shell variable (-L x "$LIST"), not one empty value.
  if (list === '')
    throw new UsageError(
      `${flagExpectation('--parameter-list', 'VAR and a comma-separated list of VALUES', list)} for ${checked} (e.g. ${example})`,
    );
  const values = splitValues(list);
  // A value lands in every export (a Markdown table's cell, a CSV field): a newline or an escape sequence is refused.
  const bad = values.find((value) => CONTROL_CHARS.test(value));
  if (bad !== undefined) throw new UsageError(flagExpectation('--parameter-list', `VALUES without control characters for ${checked}`, bad));
  return { name: checked, values };
}

interface Decimal {
  /** The value times 10^scale. */
  units: bigint;
  scale: number;
}

function decimal(text: string): Decimal | null {
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  const fraction = m[3] ?? '';
  return { units: BigInt(`${m[1] ?? ''}${m[2] ?? ''}${fraction}`), scale: fraction.length };
}

const rescale = (d: Decimal, scale: number): bigint => d.units * 10n ** BigInt(scale - d.scale);

function show(units: bigint, scale: number): string {
  if (scale === 0) return units.toString();
  const sign = units < 0n ? '-' : '';
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/**
 * `-P VAR MIN MAX` with `-D STEP`: MIN, MIN+STEP, … up to MAX, in exact decimal arithmetic (0.3,
 * 0.5, 0.7, never 0.7000000000000001). As in hyperfine: integer bounds step by 1 unless told
 * otherwise, decimal bounds need a step, and a value is written with as many decimals as MIN and
 * STEP have (`-P x 0 1 -D 0.25`: 0, 0.25, 0.50, 0.75, 1.00).
 */
export function parameterScan([name = '', min = '', max = '']: readonly string[], step: string | undefined): Parameter {
  const example = '-P threads 1 8';
  parameterName('--parameter-scan', example, name);
  const low = decimal(min);
  const high = decimal(max);
  for (const [what, text, value] of [
    ['MIN', min, low],
    ['MAX', max, high],
  ] as const) {
    if (value === null) {
      throw new UsageError(
        `Expected \`--parameter-scan\`'s ${what} to be a decimal number, got ${describeArgument(text)} (e.g. ${example})`,
      );
    }
  }
  const by = step === undefined ? decimal('1') : decimal(step);
  if (by === null || by.units <= 0n) {
    throw new UsageError(`${flagExpectation('--parameter-step-size', 'a decimal number > 0', step)} (e.g. -D 0.2)`);
  }
  const from = low as Decimal;
  const to = high as Decimal;
  if (step === undefined && (from.scale > 0 || to.scale > 0)) {
    throw new UsageError(
      `-P (--parameter-scan) with decimal bounds needs a step: add -D/--parameter-step-size, got ${min} … ${max} (e.g. -P delay 0.3 0.7 -D 0.2)`,
    );
  }
  const scale = Math.max(from.scale, to.scale, by.scale);
  const [start, end, delta] = [rescale(from, scale), rescale(to, scale), rescale(by, scale)];
  if (end < start)
    throw new UsageError(`Expected \`--parameter-scan\`'s MIN to be <= MAX, got ${min} > ${max} (an empty range; e.g. ${example})`);
  const count = (end - start) / delta + 1n;
  if (count > BigInt(MAX_SCAN_VALUES)) {
    throw new UsageError(
      `Expected \`--parameter-scan\` to give at most ${MAX_SCAN_VALUES} values, got ${count} from ${min} to ${max} in steps of ${step ?? '1'} (each value is a whole comparison)`,
    );
  }
  // As hyperfine's decimals: the first value keeps MIN's own decimals, the sums those of MIN and STEP.
  const shownScale = Math.max(from.scale, by.scale);
  const values: string[] = [];
  for (let v = start, i = 0; v <= end; v += delta, i++) {
    const units = v / 10n ** BigInt(scale - (i === 0 ? from.scale : shownScale));
    values.push(show(units, i === 0 ? from.scale : shownScale));
  }
  return { name, values };
}

/**
 * Every `{NAME}` in `text` replaced by its value, left to right, a replaced value never read again
 * (hyperfine: `-L a '{b}' -L b x 'echo {a} {b}'` runs `echo {b} x`).
 */
export function substitute(text: string, values: readonly (readonly [string, string])[]): string {
  if (values.length === 0) return text;
  let out = '';
  let i = 0;
  outer: while (i < text.length) {
    for (const [name, value] of values) {
      const key = `{${name}}`;
      if (text.startsWith(key, i)) {
        out += value;
        i += key.length;
        continue outer;
      }
    }
    out += text[i] as string;
    i++;
  }
  return out;
}
