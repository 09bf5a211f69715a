/**
 * hyperfine's `--time-unit`: every time in a table or a text in one unit, with hyperfine's
 * decimals (3 for seconds, 1 for milliseconds and microseconds). Without it, the Markdown table
 * is in milliseconds and the text picks a unit per figure, as they always did.
 */
export const TIME_UNITS = ['microsecond', 'millisecond', 'second'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

const UNIT: Record<TimeUnit, { symbol: string; perMs: number; decimals: number }> = {
  microsecond: { symbol: 'µs', perMs: 1000, decimals: 1 },
  millisecond: { symbol: 'ms', perMs: 1, decimals: 1 },
  second: { symbol: 's', perMs: 0.001, decimals: 3 },
};

export function unitSymbol(unit: TimeUnit): string {
  return UNIT[unit].symbol;
}

/** The number alone, e.g. `0.012` for 12 ms in seconds. */
export function valueIn(ms: number, unit: TimeUnit): string {
  return (ms * UNIT[unit].perMs).toFixed(UNIT[unit].decimals);
}

/** With its symbol, e.g. `12.3 ms`, `0.012 s`, `12345.0 µs`. */
export function formatIn(ms: number, unit: TimeUnit): string {
  return `${valueIn(ms, unit)} ${unitSymbol(unit)}`;
}
