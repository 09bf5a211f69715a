/*
 * Whether a text is an export of ours or hyperfine's, read from its content alone: an export may
 * replace only a file that is one already (a file that is not ours is never touched). What is
 * recognised is what the exporters beside this file write, and what hyperfine writes.
 */

export type ExportFormat = 'JSON' | 'CSV' | 'Markdown';

/** hyperfine's first eight CSV columns, which toCsv.ts also writes first. */
const CSV_HEADER = /^command,mean,stddev,median,user,system,min,max(?:,[^\n]*)?\r?\n/;
/** hyperfine's table header, first; toMarkdown.ts writes it after a summary line and a blank line. */
const MARKDOWN_HEADER =
  /^(?:[^\n]*\n\n)?\| Command \| Mean \[[^\]\n]+\] \| Min \[[^\]\n]+\] \| Max \[[^\]\n]+\] \| Relative \|[^\n]*\n\|:---\|/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** toJson.ts's one comparison: its command, baseline and backends. */
function isComparison(value: unknown): boolean {
  return isObject(value) && Array.isArray(value.command) && typeof value.baseline === 'string' && Array.isArray(value.backends);
}

/** toHyperfine.ts's and hyperfine's `{ "results": [ { "command", "mean", … } ] }`. */
function isHyperfine(value: Record<string, unknown>): boolean {
  return (
    Array.isArray(value.results) && value.results.every((r) => isObject(r) && typeof r.command === 'string' && typeof r.mean === 'number')
  );
}

function isJsonExport(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isObject(value)) return false;
  if (isComparison(value)) return true;
  // Nothing but the keys our writers put there: `{"results": [], "apiKeyNotes": …}` (an empty list
  // passes every check of its entries) is someone else's file, and was overwritten (hostile trial 2026-12-07).
  if (isHyperfine(value)) return onlyKeys(value, HYPERFINE_KEYS);
  return Array.isArray(value.workloads) && value.workloads.every(isComparison) && onlyKeys(value, WORKLOADS_KEYS);
}

/** toHyperfine.ts's keys (hyperfine's own file has `results` alone), and toJson.ts's for several workloads. */
const HYPERFINE_KEYS = ['results', 'leftOut'];
const WORKLOADS_KEYS = ['workloads', 'scaling'];

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[]): boolean {
  return Object.keys(value).every((key) => allowed.includes(key));
}

/** Why `text` is not an export in `format`, or null when it is one. */
export function notAnExport(format: ExportFormat, text: string): string | null {
  switch (format) {
    case 'JSON':
      return isJsonExport(text) ? null : 'not a comparison, list of workloads or hyperfine results in JSON';
    case 'CSV':
      return CSV_HEADER.test(text) ? null : "its first line is not a CSV export's header (command,mean,stddev,median,…)";
    case 'Markdown':
      return MARKDOWN_HEADER.test(text) ? null : "it does not start with a Markdown export's table (| Command | Mean […] | …)";
  }
}
