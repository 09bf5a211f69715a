import type { ComparisonResult } from '../../compare/compareBackends';

const HEADER = [
  'backend',
  'runs',
  'failures',
  'mean_ms',
  'stddev_ms',
  'median_ms',
  'min_ms',
  'max_ms',
  'p95_ms',
  'ratio',
  'ratio_error',
  'overhead_ms',
  'overhead_error_ms',
  'outliers',
];

function cell(value: string | number | null): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(Number(value.toFixed(6))) : value;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per backend (RFC 4180: quoted where needed), durations in milliseconds. */
export function comparisonToCsv(result: ComparisonResult): string {
  const rows = result.backends.map((b) =>
    [
      b.backend,
      b.summary.count,
      b.failures,
      b.summary.meanMs,
      b.summary.stddevMs,
      b.summary.medianMs,
      b.summary.minMs,
      b.summary.maxMs,
      b.summary.p95Ms,
      b.ratio?.ratio ?? null,
      b.ratio?.error ?? null,
      b.overheadMs?.difference ?? null,
      b.overheadMs?.error ?? null,
      b.outliers.length,
    ]
      .map(cell)
      .join(','),
  );
  return `${[HEADER.join(','), ...rows].join('\n')}\n`;
}
