/**
 * Terminal-safe text for strings that come from records (backend and phase names, sandbox ids,
 * error messages carrying a command's stderr): a forged row or a hostile command must not reach
 * the operator's terminal or page as escape sequences, line breaks or reordered text.
 *
 * Unsafe characters are escaped, not dropped, so a tampered name stays visible as such and two
 * names differing only in hidden characters stay distinct:
 * C0 controls (newline and tab included), DEL and C1 controls become `\xHH`; bidirectional
 * overrides, embeddings, isolates and marks, the line and paragraph separators and lone
 * surrogates become `\uHHHH`. A backslash is left alone: the output is for reading, not parsing.
 */

/* eslint-disable no-control-regex -- control characters are exactly what this escapes */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/* eslint-enable no-control-regex */

function escape(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control, bidi and lone-surrogate character escaped (see above). */
export function printable(text: string): string {
  return text.replace(UNSAFE, escape);
}

/**
 * A copy of a JSON-like value (what a report or the dashboard sends out) with `printable` applied
 * to every string and object key. Numbers, booleans and null pass unchanged.
 */
export function printableDeep<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => printableDeep(item)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[printable(key)] = printableDeep(item);
    return out as T;
  }
  return value;
}
