import fs from 'node:fs';
import { errorCode, errorMessage } from '../log';
import { printable } from '../printable';
import { UsageError } from './command';
import { calendarTime } from './since';

/*
 * `sandbox-perf changes --input FILE`: a series from elsewhere. Either CSV with a header that
 * names a `value` column (and optionally a `time` column: epoch ms or an ISO date), or one
 * number per line. Blank lines are skipped; anything else that is not a decimal number is an
 * error that names the line. Fields are plain (no quoted commas): numbers and dates do not need them.
 *
 * Read in chunks straight into Float64Arrays sized by the file's line count (issue 23: 31 million
 * values took 2.36 GB as strings and arrays; now 8 bytes per value, plus 8 per time): nothing as
 * long as the file is kept, and the line number of a value is found again in the file for the few
 * values a report names.
 */

/** Larger inputs are refused rather than read (a history of 1 million runs as CSV is about 30 MB). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;
/** A row longer than this is not a row of numbers: refused before it is gathered (one line could be the whole file). */
const MAX_LINE_BYTES = 64 * 1024;

/**
 * A decimal number: an optional minus, digits with an optional fraction (`5.`, `.5` included) and
 * an optional exponent. Not hexadecimal, octal or binary (`0x10`), not a leading `+` (`+3`), not
 * `Infinity`, `NaN` or digit separators: Number() takes all of those, and issue 23 found `0x10`
 * and `+3` read as values.
 */
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export interface InputSeries {
  values: Float64Array;
  /** Epoch ms per value, when the file has a time column. */
  times: Float64Array | undefined;
  /** The 1-based line of each value at `indexes` in the file (read again; only these are looked up). */
  linesOf(indexes: readonly number[]): Map<number, number>;
}

/** Calls `onLine(text, lineNumber)` for each line of the open file, without its line break (and a trailing CR). */
function forEachLine(fd: number, name: string, onLine: (line: Buffer, number: number) => void): void {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let carry: Buffer = Buffer.alloc(0);
  let number = 0;
  let position = 0;
  const emit = (line: Buffer): void => {
    number++;
    onLine(line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line, number);
  };
  for (;;) {
    const read = fs.readSync(fd, chunk, 0, CHUNK_BYTES, position);
    if (read === 0) break;
    position += read;
    let data = chunk.subarray(0, read);
    if (carry.length > 0) {
      data = Buffer.concat([carry, data]);
      carry = Buffer.alloc(0);
    }
    let start = 0;
    for (let at = data.indexOf(10, start); at !== -1; at = data.indexOf(10, start)) {
      emit(data.subarray(start, at));
      start = at + 1;
    }
    if (data.length - start > MAX_LINE_BYTES) {
      throw new UsageError(
        `--input: line ${number + 1} of ${printable(name)} is longer than ${MAX_LINE_BYTES} bytes; expected a row of numbers`,
      );
    }
    carry = Buffer.from(data.subarray(start));
  }
  if (carry.length > 0) emit(carry);
}

function lineCount(fd: number): number {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let lines = 1;
  for (let position = 0, read; (read = fs.readSync(fd, chunk, 0, CHUNK_BYTES, position)) > 0; position += read) {
    for (let at = chunk.indexOf(10); at !== -1 && at < read; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

function openInput(file: string): number {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new UsageError(`--input: ${printable(file)} is not a regular file (give a CSV file or a file of numbers)`);
    if (stat.size > MAX_INPUT_BYTES) {
      throw new UsageError(`--input: ${printable(file)} is ${stat.size} bytes, more than the ${MAX_INPUT_BYTES} this command reads`);
    }
    return fs.openSync(file, 'r');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = errorCode(error);
    const message = errorMessage(error);
    throw new UsageError(`--input: cannot read ${printable(file)} (${message.startsWith(code) ? message : `${code}: ${message}`})`);
  }
}

export function readSeriesFile(file: string): InputSeries {
  const fd = openInput(file);
  try {
    const series = parseSeries(fd, file, lineCount(fd));
    return {
      ...series,
      linesOf: (indexes) => {
        const again = fs.openSync(file, 'r');
        try {
          return valueLines(again, file, indexes);
        } finally {
          fs.closeSync(again);
        }
      },
    };
  } finally {
    fs.closeSync(fd);
  }
}

interface Layout {
  width: number;
  valueColumn: number;
  timeColumn: number;
}

/** The first line that is not blank decides: a header (some cell is not a number at all) or the first value. */
function layoutOf(cells: string[], line: number, name: string): Layout & { header: boolean } {
  const header = cells.map((cell) => cell.toLowerCase());
  if (!header.some((cell) => cell !== '' && Number.isNaN(Number(cell)))) return { header: false, width: 1, valueColumn: 0, timeColumn: -1 };
  const valueColumn = header.indexOf('value');
  if (valueColumn < 0) {
    throw new UsageError(
      `--input: line ${line} of ${printable(name)} is a header without a \`value\` column (found ${header.map((h) => JSON.stringify(printable(h))).join(', ')}); name the column of numbers \`value\``,
    );
  }
  return { header: true, width: header.length, valueColumn, timeColumn: header.indexOf('time') };
}

function parseSeries(fd: number, name: string, lines: number): Omit<InputSeries, 'linesOf'> {
  let layout: Layout | undefined;
  let values = new Float64Array(0);
  let times: Float64Array | undefined;
  let count = 0;
  forEachLine(fd, name, (bytes, line) => {
    const row = bytes.toString('utf8');
    // One number per line (the densest input) takes the short way: no array per line.
    const cells = layout?.width === 1 ? [row.trim()] : row.split(',').map((cell) => cell.trim());
    if (cells.length === 1 && cells[0] === '') return;
    if (layout === undefined) {
      const found = layoutOf(cells, line, name);
      layout = found;
      // At most one value per line that is left: 8 bytes each, whatever the lines hold.
      values = new Float64Array(lines - (found.header ? line : line - 1));
      times = found.timeColumn >= 0 ? new Float64Array(values.length) : undefined;
      if (found.header) return;
    }
    if (cells.length !== layout.width) {
      throw new UsageError(
        `--input: line ${line} of ${printable(name)} has ${cells.length} fields, expected ${layout.width}: ${shown(row)}`,
      );
    }
    const raw = cells[layout.valueColumn] as string;
    values[count] = decimal(raw, line, name);
    if (times) {
      const time = parseTime(cells[layout.timeColumn] as string);
      if (time === undefined) {
        throw new UsageError(
          `--input: line ${line} of ${printable(name)}: expected a time (epoch ms or an ISO date like 2026-12-03T14:05:00Z), got ${shown(cells[layout.timeColumn] as string)}`,
        );
      }
      if (count > 0 && time < (times[count - 1] as number)) {
        throw new UsageError(
          `--input: line ${line} of ${printable(name)} is earlier than the line before it; the rows must be in time order (sort the file by time)`,
        );
      }
      times[count] = time;
    }
    count++;
  });
  if (layout === undefined)
    throw new UsageError(`--input: ${printable(name)} is empty; expected CSV with a \`value\` column or one number per line`);
  if (count === 0) throw new UsageError(`--input: ${printable(name)} has a header but no values`);
  return { values: values.subarray(0, count), times: times?.subarray(0, count) };
}

function decimal(raw: string, line: number, name: string): number {
  const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isFinite(value)) return value;
  const why = DECIMAL.test(raw) ? ', which is out of range' : '';
  throw new UsageError(
    `--input: line ${line} of ${printable(name)}: expected a decimal number (digits with an optional leading minus, fraction and exponent, e.g. -1.5e3), got ${shown(raw)}${why}`,
  );
}

/** The lines of the values at `indexes`, counted as parseSeries counted them (the file is read as it is now). */
function valueLines(fd: number, name: string, indexes: readonly number[]): Map<number, number> {
  const wanted = new Set(indexes);
  const found = new Map<number, number>();
  let header: boolean | undefined;
  let index = 0;
  forEachLine(fd, name, (bytes, line) => {
    const row = bytes.toString('utf8');
    if (row.trim() === '') return;
    if (header === undefined) {
      header = layoutOf(
        row.split(',').map((cell) => cell.trim()),
        line,
        name,
      ).header;
      if (header) return;
    }
    if (wanted.has(index)) found.set(index, line);
    index++;
  });
  return found;
}

/** The largest epoch milliseconds a Date holds (±100 000 000 days): past it, "Invalid time value" (hostile trial 2026-12-07). */
const MAX_TIME_MS = 8.64e15;

function parseTime(cell: string): number | undefined {
  if (/^-?\d+(\.\d+)?$/.test(cell)) {
    const t = Number(cell);
    return Math.abs(t) <= MAX_TIME_MS ? t : undefined;
  }
  return calendarTime(cell) ?? undefined;
}

function shown(text: string): string {
  return JSON.stringify(printable(text.length > 60 ? `${text.slice(0, 60)}…` : text));
}
