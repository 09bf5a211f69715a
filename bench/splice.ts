import type { ScenarioResult } from './harness';

/**
 * What `npm run bench -- --only <names>` writes: the existing docs/benchmarks.md with the sections
 * of the scenarios just run replaced (or added before `## Reproduce`) and their rows of the
 * targets table replaced (or added at its end). Everything else stays as the last full run wrote
 * it, so a scenario can be re-measured on its own without passing off old figures as new: each
 * scenario's section says when and how it was measured. Pure: text in, text out.
 */
export function spliceResults(document: string, results: readonly ScenarioResult[], targetRows: ReadonlyMap<string, string>): string {
  let text = document;
  for (const result of results) {
    const section = `## ${result.title}\n\n${result.markdown}\n\n`;
    const start = text.indexOf(`\n## ${result.title}\n`);
    if (start === -1) {
      const reproduce = text.indexOf('\n## Reproduce\n');
      text = reproduce === -1 ? `${text}\n${section}` : `${text.slice(0, reproduce + 1)}${section}${text.slice(reproduce + 1)}`;
      continue;
    }
    const next = text.indexOf('\n## ', start + 1);
    text = `${text.slice(0, start + 1)}${section}${next === -1 ? '' : text.slice(next + 1)}`;
  }
  const lines = text.split('\n');
  const header = lines.findIndex((line) => line.startsWith('| target |'));
  if (header === -1) return text;
  let end = header + 2;
  const left = new Map(targetRows);
  for (; end < lines.length && lines[end]?.startsWith('|'); end++) {
    const name = (lines[end] as string).split(' | ')[0]?.slice(2);
    const row = name === undefined ? undefined : left.get(name);
    if (row !== undefined && name !== undefined) {
      lines[end] = row;
      left.delete(name);
    }
  }
  lines.splice(end, 0, ...left.values());
  return lines.join('\n');
}
