import fs from 'node:fs';
import { errorCode, errorMessage } from '../log';
import { printable } from '../printable';
import { UsageError } from './command';

/*
 * `sandbox-perf changes --input FILE`: a series from elsewhere. Either CSV with a header that
 * names a `value` column (and optionally a `time` column: epoch ms or an ISO date), or one
 * number per line. Blank lines are skipped; anything else that is not a number is an error that
 * names the line. Fields are plain (no quoted commas): numbers and dates do not need them.
 */

/** Larger inputs are refused rather than read into memory (a history of 1 million runs as CSV is about 30 MB). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

export interface InputSeries {
  values: number[];
  /** Epoch ms per value, when the file has a time column. */
  times: number[] | undefined;
  /** 1-based line of each value in the file. */
  lines: number[];
}

export function readSeriesFile(file: string): InputSeries {
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new UsageError(`--input: ${printable(file)} is not a regular file (give a CSV file or a file of numbers)`);
    if (stat.size > MAX_INPUT_BYTES) {
      throw new UsageError(`--input: ${printable(file)} is ${stat.size} bytes, more than the ${MAX_INPUT_BYTES} this command reads`);
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = errorCode(error);
    const message = errorMessage(error);
    throw new UsageError(`--input: cannot read ${printable(file)} (${message.startsWith(code) ? message : `${code}: ${message}`})`);
  }
  return parseSeries(text, file);
}

/** Parses the text of an input file; `name` is used in errors. */
export function parseSeries(text: string, name: string): InputSeries {
  const rows = text.split(/\r?\n/);
  const first = rows.findIndex((row) => row.trim() !== '');
  if (first < 0) throw new UsageError(`--input: ${printable(name)} is empty; expected CSV with a \`value\` column or one number per line`);
  const header = (rows[first] as string).split(',').map((cell) => cell.trim().toLowerCase());
  const isHeader = header.some((cell) => cell !== '' && Number.isNaN(Number(cell)));
  let valueColumn = 0;
  let timeColumn = -1;
  if (isHeader) {
    valueColumn = header.indexOf('value');
    timeColumn = header.indexOf('time');
    if (valueColumn < 0) {
      throw new UsageError(
        `--input: line ${first + 1} of ${printable(name)} is a header without a \`value\` column (found ${header.map((h) => JSON.stringify(printable(h))).join(', ')}); name the column of numbers \`value\``,
      );
    }
  }
  const width = isHeader ? header.length : 1;
  const series: InputSeries = { values: [], times: timeColumn >= 0 ? [] : undefined, lines: [] };
  for (let i = isHeader ? first + 1 : first; i < rows.length; i++) {
    const row = rows[i] as string;
    if (row.trim() === '') continue;
    const cells = row.split(',').map((cell) => cell.trim());
    const line = i + 1;
    if (cells.length !== width) {
      throw new UsageError(`--input: line ${line} of ${printable(name)} has ${cells.length} fields, expected ${width}: ${shown(row)}`);
    }
    const raw = cells[valueColumn] as string;
    const value = raw === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value)) throw new UsageError(`--input: line ${line} of ${printable(name)}: expected a number, got ${shown(raw)}`);
    series.values.push(value);
    series.lines.push(line);
    if (series.times) {
      const time = parseTime(cells[timeColumn] as string);
      if (time === undefined) {
        throw new UsageError(
          `--input: line ${line} of ${printable(name)}: expected a time (epoch ms or an ISO date like 2026-12-03T14:05:00Z), got ${shown(cells[timeColumn] as string)}`,
        );
      }
      const previous = series.times.at(-1);
      if (previous !== undefined && time < previous) {
        throw new UsageError(
          `--input: line ${line} of ${printable(name)} is earlier than the line before it; the rows must be in time order (sort the file by time)`,
        );
      }
      series.times.push(time);
    }
  }
  if (series.values.length === 0) throw new UsageError(`--input: ${printable(name)} has a header but no values`);
  return series;
}

function parseTime(cell: string): number | undefined {
  if (/^-?\d+(\.\d+)?$/.test(cell)) return Number(cell);
  if (/^\d{4}-\d{2}-\d{2}/.test(cell)) {
    const t = Date.parse(cell);
    if (Number.isFinite(t)) return t;
  }
  return undefined;
}

function shown(text: string): string {
  return JSON.stringify(printable(text.length > 60 ? `${text.slice(0, 60)}…` : text));
}
