import type { ComparisonResult } from '../../compare/compareBackends';

/**
 * The whole comparison, every duration included, as pretty JSON (stable field names). Several
 * comparisons (several commands, or parameters: one per value) are written as `{ "workloads": [ … ] }`,
 * each with its `name` and `parameters`.
 */
export function comparisonToJson(comparisons: ComparisonResult | readonly ComparisonResult[]): string {
  return `${JSON.stringify('backends' in comparisons ? comparisons : { workloads: comparisons }, null, 2)}\n`;
}
