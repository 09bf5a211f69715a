import type { ComparisonResult } from '../../../compare/compareBackends';
import { fixtureComparison as comparison, fixtureRounds as rounds } from '../../../../test/support/comparisonFixture';
import { comparisonToCsv, comparisonToHyperfine, comparisonToJson, comparisonToMarkdown, hyperfineResults } from '..';

const ok = comparison([
  rounds('none', [10, 12, 11]),
  rounds('docker', [null, null, null], 'exited with code 2; its stderr ends with: boom'),
]);
const one = comparison([rounds('none', [20]), rounds('unshare', [25])], { name: 'big', parameters: { size: '4' } });

/** The keys hyperfine 1.15 writes for a result (src/benchmark/benchmark_result.rs), `parameters` only when there are some. */
const HYPERFINE_KEYS = ['command', 'exit_codes', 'max', 'mean', 'median', 'min', 'stddev', 'system', 'times', 'user'];

test("--export-hyperfine: what hyperfine's scripts read, for every result: its key set, non-empty times, numbers", () => {
  const written = JSON.parse(comparisonToHyperfine([ok, one])) as { results: Record<string, unknown>[] };
  expect(Object.keys(written)).toEqual(['results']);
  expect(written.results.map((r) => r.command)).toEqual(['none: node build.js', 'none: big', 'unshare: big']);
  for (const r of written.results) {
    const keys = Object.keys(r).sort();
    expect(keys).toEqual(r.parameters === undefined ? HYPERFINE_KEYS : [...HYPERFINE_KEYS, 'parameters'].sort());
    const times = r.times as unknown[];
    // advanced_statistics.py takes percentiles of `times`, plot_histogram.py its minimum: an empty list raises.
    expect(times.length).toBeGreaterThan(0);
    expect((r.exit_codes as unknown[]).length).toBe(times.length);
    for (const v of [...times, r.mean, r.median, r.min, r.max, r.user, r.system]) expect(Number.isFinite(v)).toBe(true);
    expect(r.stddev === null || Number.isFinite(r.stddev)).toBe(true);
  }
  expect(written.results[1]).toMatchObject({ stddev: null, times: [0.02], parameters: { size: '4' } });
  expect(hyperfineResults([ok, one]).leftOut).toEqual([
    { command: 'docker: node build.js', reason: 'no successful run: exited with code 2; its stderr ends with: boom' },
  ]);
});

test('Markdown: a backend without a measured run shows no figure (never 0.0 ms); --time-unit sets the columns', () => {
  const md = comparisonToMarkdown(ok);
  expect(md).toContain('| `docker: node build.js` | no successful run | | | n/a | | | n/a | n/a |');
  expect(md).not.toMatch(/docker[^\n]*0\.0/);
  expect(md).toContain('| `none: node build.js` | 11.0 ± 1.0 | 10.0 | 12.0 | 1.00 | 11.0 | 12.0 |  |  |');
  const seconds = comparisonToMarkdown([ok, one], { timeUnit: 'second' });
  expect(seconds).toContain('| Command | Mean [s] | Min [s] | Max [s] | Relative | Median [s] | p95 [s] | Difference [s] (95 % CI) | p |');
  expect(seconds).toContain('| `none: node build.js` | 0.011 ± 0.001 | 0.010 | 0.012 |');
  expect(seconds.split('\n')[0]).toBe('1–3 rounds per backend, 1 warm-up, interleaved; baseline `none`');
  expect(comparisonToMarkdown(ok, { timeUnit: 'microsecond' })).toContain('| `none: node build.js` | 11000.0 ± 1000.0 |');
});

test('one name for every value of a parameter: the text of the tables tells them apart by their parameters', () => {
  const a = comparison([rounds('none', [1, 2])], { name: 'build', parameters: { size: '1' } });
  const b = comparison([rounds('none', [3, 4])], { name: 'build', parameters: { size: '2' } });
  const md = comparisonToMarkdown([a, b]);
  expect(md).toContain('`none: build (size = 1)`');
  expect(md).toContain('`none: build (size = 2)`');
  // hyperfine's JSON keeps the name as given, with the parameters beside it.
  expect(hyperfineResults([a, b]).results.map((r) => [r.command, r.parameters])).toEqual([
    ['none: build', { size: '1' }],
    ['none: build', { size: '2' }],
  ]);
});

test('CSV: a failed backend keeps its row with empty times; parameters as hyperfine parameter_<name> columns', () => {
  const rows = comparisonToCsv([ok, one]).trim().split('\n');
  expect(rows[0]?.endsWith(',outliers,parameter_size')).toBe(true);
  expect(rows[2]).toBe('docker: node build.js,,,,,,,,docker,0,3,,,,,,,,,,,,,,0,');
  expect(rows[3]?.startsWith('none: big,0.02,,0.02,0.001,0.0005,0.02,0.02,none,1,0,20,')).toBe(true);
  expect(rows[3]?.endsWith(',4')).toBe(true);
});

test('JSON: one comparison as it always was; several as { workloads } with their names and parameters', () => {
  expect(Object.keys(JSON.parse(comparisonToJson(ok)) as object)).toContain('backends');
  const several = JSON.parse(comparisonToJson([ok, one])) as { workloads: ComparisonResult[] };
  expect(several.workloads.map((w) => [w.name, w.parameters])).toEqual([
    [undefined, undefined],
    ['big', { size: '4' }],
  ]);
});
