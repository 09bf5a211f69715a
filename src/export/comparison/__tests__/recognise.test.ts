import { fixtureComparison as comparison, fixtureRounds as rounds } from '../../../../test/support/comparisonFixture';
import { comparisonToCsv, comparisonToHyperfine, comparisonToJson, comparisonToMarkdown } from '..';
import { notAnExport } from '../recognise';

/*
 * An export may replace only a file that is already an export in its format (exportFile.ts): what
 * every exporter writes, and what hyperfine writes, is recognised; anything else, including the
 * other formats' exports, is not.
 */
const ok = comparison([rounds('none', [10, 12, 11]), rounds('docker', [null], 'exited with code 2')]);
const one = comparison([rounds('none', [20]), rounds('unshare', [25])], { name: 'big', parameters: { size: '4' } });

/** What hyperfine 1.15 itself writes (`hyperfine -N --export-* … true`), trimmed. */
const HYPERFINE = {
  JSON: '{\n  "results": [\n    {\n      "command": "true",\n      "mean": 0.0004,\n      "times": [0.0004]\n    }\n  ]\n}\n',
  CSV: 'command,mean,stddev,median,user,system,min,max\ntrue,0.0004,,0.0004,0.0003,0.0001,0.0004,0.0004\n',
  Markdown:
    '| Command | Mean [µs] | Min [µs] | Max [µs] | Relative |\n|:---|---:|---:|---:|---:|\n| `true` | 400.0 | 400.0 | 400.0 | 1.00 |\n',
} as const;

test("exports may replace exports: every exporter's output, one comparison or several, and hyperfine's, are recognised", () => {
  for (const c of [ok, [ok, one]]) {
    expect(notAnExport('JSON', comparisonToJson(c))).toBeNull();
    expect(notAnExport('JSON', comparisonToHyperfine(c))).toBeNull();
    expect(notAnExport('CSV', comparisonToCsv(c))).toBeNull();
    expect(notAnExport('Markdown', comparisonToMarkdown(c))).toBeNull();
    expect(notAnExport('Markdown', comparisonToMarkdown(c, { timeUnit: 'second' }))).toBeNull();
  }
  expect(notAnExport('JSON', '{"results": []}\n')).toBeNull();
  for (const format of ['JSON', 'CSV', 'Markdown'] as const) expect(notAnExport(format, HYPERFINE[format])).toBeNull();
});

test('exports overwrite files that are not ours: other content, and the other formats, are not recognised', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';
  for (const format of ['JSON', 'CSV', 'Markdown'] as const) {
    expect(notAnExport(format, passwd)).toEqual(expect.any(String));
    expect(notAnExport(format, 'echo original\n')).toEqual(expect.any(String));
  }
  expect(notAnExport('JSON', comparisonToCsv(ok))).toMatch(/^not a comparison/);
  expect(notAnExport('JSON', '{"name": "my-app", "version": "1.0.0"}')).toMatch(/^not a comparison/);
  expect(notAnExport('JSON', '[1, 2]')).toMatch(/^not a comparison/);
  // A hostile trial of 2026-12-07: an empty list passes every check of its entries, and these were overwritten.
  expect(notAnExport('JSON', '{"results": [], "apiKeyNotes": "precious", "users": [1, 2, 3]}')).toMatch(/^not a comparison/);
  expect(notAnExport('JSON', '{"workloads": [], "name": "my CI config", "steps": ["build"]}')).toMatch(/^not a comparison/);
  expect(notAnExport('CSV', comparisonToMarkdown(ok))).toMatch(/^its first line is not a CSV export's header/);
  expect(notAnExport('CSV', 'name,mean\nx,1\n')).toMatch(/^its first line/);
  expect(notAnExport('Markdown', comparisonToJson(ok))).toMatch(/^it does not start with a Markdown export's table/);
  expect(notAnExport('Markdown', '# Notes\n\n| Command | Mean [ms] |\n')).toMatch(/^it does not start/);
});
