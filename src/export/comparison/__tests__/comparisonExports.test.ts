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
  expect(
    rows[0]?.endsWith(
      ',outliers,isolation_fixed_ms,isolation_in_command_ms,isolation_total_ms,isolation_total_ci_low_ms,isolation_total_ci_high_ms,parameter_size',
    ),
  ).toBe(true);
  expect(rows[2]).toBe('docker: node build.js,,,,,,,,docker,0,3,,,,,,,,,,,,,,0,,,,,,');
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

/*
 * The whole cost of isolation (issue 26.1) against none, paired by round. gvisor's rounds give
 * fixed 3, 4, 4 (duration − command), in command 8, 10, 10 (command − none's), total 11, 14, 14:
 * means 11/3 + 28/3 = 13. docker never timed its command, unshare has one complete round: no figure.
 */
const timed = comparison(
  [
    { ...rounds('none', [10, 12, 11]), commandMs: [9, 11, 10] },
    { ...rounds('gvisor', [20, 25, 24]), commandMs: [17, 21, 20] },
    rounds('docker', [15, 16, 17]),
    { ...rounds('unshare', [12, null, null]), commandMs: [11, null, null] },
  ],
  { name: 'say "hi", then build' },
);
const ISOLATION_COLUMNS = [
  'isolation_fixed_ms',
  'isolation_in_command_ms',
  'isolation_total_ms',
  'isolation_total_ci_low_ms',
  'isolation_total_ci_high_ms',
];

/** RFC 4180 fields of one line (quoted fields may hold commas and doubled quotes). */
function fields(line: string): string[] {
  return [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map(([, f = '']) =>
    f.startsWith('"') ? f.slice(1, -1).replace(/""/g, '"') : f,
  );
}

test('CSV: the whole cost of isolation appended after the existing columns, before parameter_<name>; empty (never 0) where not measured', () => {
  const [head = '', ...lines] = comparisonToCsv([timed, one]).trim().split('\n');
  const header = head.split(',');
  // hyperfine's columns and ours keep their places: scripts read them by position.
  expect(header.slice(0, 25)).toEqual(
    'command,mean,stddev,median,user,system,min,max,backend,runs,failures,p95_ms,mean_ci_low_ms,mean_ci_high_ms,ratio,ratio_error,ratio_ci_low,ratio_ci_high,difference_ms,difference_ci_low_ms,difference_ci_high_ms,wilcoxon_p,hodges_lehmann_ms,verdict,outliers'.split(
      ',',
    ),
  );
  expect(header.slice(25)).toEqual([...ISOLATION_COLUMNS, 'parameter_size']);
  const rows = lines.map(fields);
  for (const r of rows) expect(r).toHaveLength(header.length);
  const at = (r: string[], column: string): string => r[header.indexOf(column)] ?? 'missing';
  const isolation = (r: string[]): string[] => ISOLATION_COLUMNS.map((c) => at(r, c));
  // The quoting of a name with a comma and quotes is intact, the row still has every column.
  expect(rows.map((r) => r[0])).toEqual([
    'none: say "hi", then build',
    'gvisor: say "hi", then build',
    'docker: say "hi", then build',
    'unshare: say "hi", then build',
    'none: big',
    'unshare: big',
  ]);
  expect(lines[1]?.startsWith('"gvisor: say ""hi"", then build",')).toBe(true);
  const [none, gvisor, docker, unshare, bigNone, bigUnshare] = rows;
  const cost = timed.backends[1]?.isolationMs;
  expect(cost).toMatchObject({ total: 13, runs: 3 });
  expect(isolation(gvisor ?? [])).toEqual(
    [cost?.fixed, cost?.inCommand, cost?.total, cost?.low, cost?.high].map((v) => String(Number(v?.toPrecision(9)))),
  );
  const [fixed, inCommand, total, low, high] = isolation(gvisor ?? []).map(Number);
  expect(fixed).toBeCloseTo(11 / 3, 6);
  expect(inCommand).toBeCloseTo(28 / 3, 6);
  expect(total).toBeCloseTo((fixed ?? NaN) + (inCommand ?? NaN), 6);
  expect(low).toBeLessThan(13);
  expect(high).toBeGreaterThan(13);
  // none against itself: its own time around the command, nothing inside it.
  expect(isolation(none ?? [])).toEqual(['1', '0', '1', '1', '1']);
  // Not measured: empty cells, never a 0 that would read as free isolation.
  for (const r of [docker, unshare, bigNone, bigUnshare]) expect(isolation(r ?? [])).toEqual(['', '', '', '', '']);
  expect(at(bigUnshare ?? [], 'parameter_size')).toBe('4');
});

test('Markdown: the whole cost of isolation as the last column, total [95 % CI] = fixed + in command, in the time unit; n/a where not measured', () => {
  const md = comparisonToMarkdown(timed);
  const [, , header, align, ...rows] = md.trim().split('\n');
  expect(header).toBe(
    '| Command | Mean [ms] | Min [ms] | Max [ms] | Relative | Median [ms] | p95 [ms] | Difference [ms] (95 % CI) | p | Isolation vs none [ms]: total (95 % CI) = fixed + in command |',
  );
  expect(align?.split('|')).toHaveLength(header?.split('|').length ?? -1);
  const cost = timed.backends[1]?.isolationMs;
  const t = (ms = NaN): string => ms.toFixed(1);
  expect(rows[0]).toMatch(/^\| `none: say "hi", then build` \| .* \| 1\.0 \[1\.0 … 1\.0\] = 1\.0 \+ 0\.0 \|$/);
  expect(rows[1]?.endsWith(` | ${t(cost?.total)} [${t(cost?.low)} … ${t(cost?.high)}] = 3.7 + 9.3 |`)).toBe(true);
  expect(rows[1]).toContain(' | 13.0 [');
  expect(rows[2]?.endsWith(' | n/a |')).toBe(true);
  expect(rows[3]?.endsWith(' | n/a |')).toBe(true);
  for (const r of rows) expect(r.split('|')).toHaveLength(header?.split('|').length ?? -1);
  const seconds = comparisonToMarkdown(timed, { timeUnit: 'second' });
  expect(seconds).toContain('| Isolation vs none [s]: total (95 % CI) = fixed + in command |');
  expect(seconds).toContain(' | 0.013 [');
  expect(seconds).toMatch(/\] = 0\.004 \+ 0\.009 \|$/m);
  // A backend faster inside the command than none: its part is subtracted, not "+ -".
  const faster = comparison([
    { ...rounds('none', [10, 12, 11]), commandMs: [9, 11, 10] },
    { ...rounds('unshare', [11, 12, 12]), commandMs: [7, 8, 8] },
  ]);
  expect(comparisonToMarkdown(faster)).toMatch(/^\| `unshare: node build\.js` \| .* \| 1\.7 \[[\d.-]+ … [\d.]+\] = 4\.0 − 2\.3 \|$/m);
  // No successful run: n/a in every paired column, the isolation one included.
  expect(comparisonToMarkdown(ok)).toContain('| `docker: node build.js` | no successful run | | | n/a | | | n/a | n/a | n/a |');
});
