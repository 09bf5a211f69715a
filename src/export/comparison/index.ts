export { comparisonToJson } from './toJson';
export { comparisonToCsv } from './toCsv';
export { comparisonToMarkdown } from './toMarkdown';
export { comparisonToHyperfine, hyperfineResults } from './toHyperfine';
export type { HyperfineResult } from './toHyperfine';
