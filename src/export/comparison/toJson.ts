import type { ComparisonResult } from '../../compare/compareBackends';
import type { ScalingResult } from '../../compare/scaling';

/**
 * The whole comparison, every duration included, as pretty JSON (stable field names). Several
 * comparisons (several commands, or parameters: one per value) are written as `{ "workloads": [ … ] }`,
 * each with its `name` and `parameters`; with `compare --scale`, beside them `scaling` (compare/scaling.ts).
 */
export function comparisonToJson(comparisons: ComparisonResult | readonly ComparisonResult[], scaling?: ScalingResult): string {
  const body = 'backends' in comparisons ? comparisons : { workloads: comparisons, ...(scaling ? { scaling } : {}) };
  return `${JSON.stringify(body, null, 2)}\n`;
}
