import { spliceResults } from '../../bench/splice';

const DOC = [
  '# Benchmarks',
  '',
  '| target | limit | measured | verdict | note |',
  '| --- | ---: | ---: | --- | --- |',
  '| a target | <= 1 ms | 2 ms | miss |  |',
  '| pool target | <= 1 ms | 9 ms | miss |  |',
  '',
  '## Other',
  '',
  'other figures',
  '',
  '## Sandbox pool',
  '',
  'old pool figures',
  '',
  '## Reproduce',
  '',
  'npm run bench',
  '',
].join('\n');

describe('spliceResults (npm run bench -- --only)', () => {
  test("replaces the scenario's section and its target rows, and leaves the rest as it was", () => {
    const out = spliceResults(
      DOC,
      [{ title: 'Sandbox pool', markdown: 'new pool figures', targets: [] }],
      new Map([['pool target', '| pool target | <= 1 ms | 0.5 ms | pass |  |']]),
    );
    expect(out).toBe(
      DOC.replace('old pool figures', 'new pool figures').replace(
        '| pool target | <= 1 ms | 9 ms | miss |  |',
        '| pool target | <= 1 ms | 0.5 ms | pass |  |',
      ),
    );
  });

  test('a scenario not in the file yet goes before Reproduce, a new target at the end of the table', () => {
    const out = spliceResults(
      DOC,
      [{ title: 'New one', markdown: 'fresh', targets: [] }],
      new Map([['new target', '| new target | >= 1 × | 2 × | pass |  |']]),
    );
    expect(out).toContain('| pool target | <= 1 ms | 9 ms | miss |  |\n| new target | >= 1 × | 2 × | pass |  |\n\n## Other');
    expect(out).toContain('old pool figures\n\n## New one\n\nfresh\n\n## Reproduce\n');
  });

  test('the last section is replaced up to the end of the file', () => {
    const doc = '# B\n\n## Sandbox pool\n\nold\n';
    expect(spliceResults(doc, [{ title: 'Sandbox pool', markdown: 'new', targets: [] }], new Map())).toBe(
      '# B\n\n## Sandbox pool\n\nnew\n\n',
    );
  });
});
