export { comparisonToJson } from './toJson';
export { comparisonToCsv } from './toCsv';
export { comparisonToMarkdown } from './toMarkdown';
export type { MarkdownOptions } from './toMarkdown';
export { comparisonToHyperfine, hyperfineResults } from './toHyperfine';
export type { HyperfineResult, HyperfineExport } from './toHyperfine';
export { comparisonName, shownNames } from './names';
export { TIME_UNITS, formatIn } from './timeUnit';
export type { TimeUnit } from './timeUnit';
