import type { ComparisonResult } from '../../compare/compareBackends';

/** The whole comparison, every duration included, as pretty JSON (stable field names). */
export function comparisonToJson(result: ComparisonResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
