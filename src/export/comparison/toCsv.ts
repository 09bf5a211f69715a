import type { ComparisonResult } from '../../compare/compareBackends';
import { hyperfineResults } from './toHyperfine';

/** hyperfine's --export-csv columns first (seconds), then ours (units in the names). */
const HEADER = [
  'command',
  'mean',
  'stddev',
  'median',
  'user',
  'system',
  'min',
  'max',
  'backend',
  'runs',
  'failures',
  'p95_ms',
  'mean_ci_low_ms',
  'mean_ci_high_ms',
  'ratio',
  'ratio_error',
  'ratio_ci_low',
  'ratio_ci_high',
  'difference_ms',
  'difference_ci_low_ms',
  'difference_ci_high_ms',
  'wilcoxon_p',
  'hodges_lehmann_ms',
  'verdict',
  'outliers',
];

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? String(Number(value.toPrecision(9))) : value;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per backend (RFC 4180: quoted where needed). */
export function comparisonToCsv(result: ComparisonResult): string {
  const hf = hyperfineResults(result).results;
  const rows = result.backends.map((b, i) => {
    const h = hf[i];
    const p = b.paired;
    return [
      h?.command,
      h?.mean,
      h?.stddev,
      h?.median,
      h?.user,
      h?.system,
      h?.min,
      h?.max,
      b.backend,
      b.summary.count,
      b.failures,
      b.summary.p95Ms,
      b.intervals.mean?.low,
      b.intervals.mean?.high,
      b.ratio?.ratio,
      b.ratio?.error,
      p?.ratio?.low,
      p?.ratio?.high,
      p?.difference?.estimate,
      p?.difference?.low,
      p?.difference?.high,
      p?.test?.pValue,
      p?.hodgesLehmannMs,
      p?.verdict,
      b.outliers.length,
    ]
      .map(cell)
      .join(',');
  });
  return `${[HEADER.join(','), ...rows].join('\n')}\n`;
}
