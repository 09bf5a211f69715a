import type { ComparisonResult } from '../../compare/compareBackends';
import { comparisonList, comparisonName } from './names';
import { hyperfineResult } from './toHyperfine';

/** hyperfine's --export-csv columns first (seconds), then ours (units in the names), then hyperfine's `parameter_<name>` columns. */
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
  // Issue 26.1, appended (scripts read the columns above by position): BackendComparison.isolationMs.
  'isolation_fixed_ms',
  'isolation_in_command_ms',
  'isolation_total_ms',
  'isolation_total_ci_low_ms',
  'isolation_total_ci_high_ms',
];

function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? String(Number(value.toPrecision(9))) : value;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One row per backend of each comparison (RFC 4180: quoted where needed). A backend with no
 * measured run keeps its row, with its failures, and leaves every time empty: never a 0. The
 * isolation columns (the whole cost against `none`: fixed + in command = total, and total's 95 %
 * interval) are empty where it was not measured: no `none` compared, or under two paired timed rounds.
 */
export function comparisonToCsv(comparisons: ComparisonResult | readonly ComparisonResult[]): string {
  const all = comparisonList(comparisons);
  const parameters = [...new Set(all.flatMap((r) => Object.keys(r.parameters ?? {})))];
  const rows = all.flatMap((result) =>
    result.backends.map((b) => {
      const h = hyperfineResult(result, b);
      const p = b.paired;
      const cost = b.isolationMs;
      const measured = b.summary.count > 0;
      return [
        `${b.backend}: ${comparisonName(result)}`,
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
        measured ? b.summary.p95Ms : null,
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
        cost?.fixed,
        cost?.inCommand,
        cost?.total,
        cost?.low,
        cost?.high,
        ...parameters.map((name) => result.parameters?.[name]),
      ]
        .map(cell)
        .join(',');
    }),
  );
  return `${[[...HEADER, ...parameters.map((name) => `parameter_${name}`)].join(','), ...rows].join('\n')}\n`;
}
