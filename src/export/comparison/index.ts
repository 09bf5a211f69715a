export { comparisonToJson } from './toJson';
export { comparisonToCsv } from './toCsv';
export { comparisonToMarkdown } from './toMarkdown';
