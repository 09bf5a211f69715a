import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import { cli, describeBuilt, stateHomeOf } from './support/cli';

/*
 * hyperfine's flags on the built CLI with real runs on the `none` backend: several commands in
 * hyperfine's form, -n, -P/-D, -L (each value its own workload, recorded with its results), -N
 * and --shell SHELL, -i, --style, --time-unit; and --export-hyperfine read as hyperfine's
 * scripts read it.
 */

interface Comparison {
  name?: string;
  command: string[];
  parameters?: Record<string, string>;
  backends: { backend: string; summary: { count: number }; exitCodes: number[] }[];
}
interface HyperfineFile {
  results: { command: string; times: number[]; exit_codes: number[]; median: number; min: number; parameters?: Record<string, string> }[];
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-hf-flags-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(stateHomeOf(dir), { recursive: true, force: true });
});

const read = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
const quick = ['compare', '--sandbox', 'none', '-r', '2', '-w', '0'];

function has(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describeBuilt("compare with hyperfine's flags, real runs on none", () => {
  jest.setTimeout(120_000);

  test('-L: each value replaces {VAR}, runs as its own workload, and is recorded in --export-json and --export-hyperfine', async () => {
    const r = await cli(
      [...quick, '-L', 'n', '1,2', '--export-json', 'all.json', '--export-hyperfine', 'hf.json', '--', 'touch', 'ran-{n}'],
      dir,
    );
    expect(r.code).toBe(0);
    // The commands really ran with each value.
    expect(fs.existsSync(path.join(dir, 'ran-1')) && fs.existsSync(path.join(dir, 'ran-2'))).toBe(true);
    expect(r.stdout).toMatch(/Command: touch ran-1 {2}\(2 round\(s\)[^\n]*\nParameters: n = 1\n/);
    expect(r.stdout).toMatch(/Command: touch ran-2 {2}\(2 round\(s\)[^\n]*\nParameters: n = 2\n/);
    const { workloads } = read('all.json') as { workloads: Comparison[] };
    expect(workloads.map((w) => [w.command, w.parameters, w.backends[0]?.summary.count])).toEqual([
      [['touch', 'ran-1'], { n: '1' }, 2],
      [['touch', 'ran-2'], { n: '2' }, 2],
    ]);
    expect((read('hf.json') as HyperfineFile).results.map((x) => [x.command, x.parameters])).toEqual([
      ['none: touch ran-1', { n: '1' }],
      ['none: touch ran-2', { n: '2' }],
    ]);
  });

  test('several commands in hyperfine form, -n names the first, -P/-D scans decimals, --shell SHELL runs each line through it', async () => {
    const r = await cli([...quick, '-n', 'first', 'touch one', `sh -c 'touch two'`, '--export-json', 'two.json'], dir);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'one')) && fs.existsSync(path.join(dir, 'two'))).toBe(true);
    expect(r.stdout).toContain('Command: first  (2 round(s)');
    expect(r.stdout).toContain('Runs: touch one');
    expect(r.stdout).toContain(`Command: sh -c 'touch two'  (2 round(s)`);
    expect((read('two.json') as { workloads: Comparison[] }).workloads.map((w) => w.name)).toEqual(['first', `sh -c 'touch two'`]);

    const scan = await cli([...quick, '-P', 'd', '0.5', '1.5', '-D', '0.5', '--', 'touch', 'scan-{d}'], dir);
    expect(scan.code).toBe(0);
    expect(['scan-0.5', 'scan-1.0', 'scan-1.5'].every((f) => fs.existsSync(path.join(dir, f)))).toBe(true);

    const bash = await cli([...quick, '--shell', 'bash', 'echo "$BASH_VERSION" > shell.txt && true'], dir);
    expect(bash.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'shell.txt'), 'utf8')).toMatch(/^\d+\.\d+/);
    // -N runs the words as they are, shell syntax included, as hyperfine -N does.
    const none = await cli([...quick, '-N', 'touch $HOME-literal'], dir);
    expect(none.code).toBe(0);
    expect(fs.existsSync(path.join(dir, '$HOME-literal'))).toBe(true);
  });

  test('-i counts runs that exit non-zero; without it they are failures, compare exits 1 and says -i exists', async () => {
    const without = await cli([...quick, 'false'], dir);
    expect(without.code).toBe(1);
    expect(without.stdout).toContain('no successful run: exited with code 1');
    expect(without.stdout).toContain('-i/--ignore-failure counts runs that exit non-zero as measurements');
    const ignored = await cli([...quick, '-i', 'false', '--export-hyperfine', 'i.json'], dir);
    expect(ignored.code).toBe(0);
    expect(ignored.stdout).toContain('2 run(s) exited with a non-zero code and are counted (--ignore-failure)');
    expect((read('i.json') as HyperfineFile).results[0]?.exit_codes).toEqual([1, 1]);
    expect((await cli([...quick, '--ignore-failure=2', 'false'], dir)).code).toBe(1);
  });

  test('--style none prints nothing on stdout and still exports; --time-unit second sets the text and the Markdown', async () => {
    const quiet = await cli([...quick, '--style', 'none', '--export-markdown', 'q.md', 'true'], dir);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(fs.readFileSync(path.join(dir, 'q.md'), 'utf8')).toContain('| `none: true` |');
    const seconds = await cli([...quick, '-u', 'second', '--export-markdown', 's.md', 'true'], dir);
    expect(seconds.stdout).toMatch(/Time \(mean ± σ\): {3}\d+\.\d{3} s ± \d+\.\d{3} s/);
    expect(fs.readFileSync(path.join(dir, 's.md'), 'utf8')).toContain('| Command | Mean [s] | Min [s] | Max [s] |');
    const bad = await cli([...quick, '--time-unit', 'hour', 'true'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'Error: Expected `--time-unit` to be one of microsecond, millisecond, second, got `"hour"` (e.g. --time-unit microsecond)\n',
    );
  });
});

/*
 * advanced_statistics.py's first computations, in plain Python (numpy's default percentile is
 * this linear interpolation): it reads json["results"], and for each result its "command" and
 * "times", whose percentiles, mean, median, min and max it takes. An empty "times" raises
 * IndexError here as it does in numpy; a missing key raises KeyError.
 */
const ADVANCED_STATISTICS_CHECK = `
import json, math, sys
def percentile(ts, q):
    s = sorted(ts)
    k = (len(s) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)
for b in json.load(open(sys.argv[1]))["results"]:
    ts = [t * 1e3 for t in b["times"]]
    p05, p25, p75, p95 = (percentile(ts, q) for q in (5, 25, 75, 95))
    mean = sum(ts) / len(ts)
    median = percentile(ts, 50)
    assert abs(median - b["median"] * 1e3) < 1e-9 and min(ts) == b["min"] * 1e3 and p05 <= p25 <= p75 <= p95
    print(f"{b['command']}: {len(ts)} runs, mean {mean:.3f} ms, IQR {p75 - p25:.3f} ms")
`;

describeWhen(
  'hyperfine scripts read a comparison with a failing command',
  !has('python3') && 'python3 is not installed',
  'apt-get install -y python3',
  () => {
    jest.setTimeout(120_000);
    test('the failing backend is left out of --export-hyperfine, stderr says so, advanced_statistics.py computations run', async () => {
      const r = await cli([...quick, '-r', '3', 'true', 'false', '--export-hyperfine', 'hf.json', '--export-markdown', 'hf.md'], dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        "sandbox-perf: --export-hyperfine left out none: false (no successful run: exited with code 1): hyperfine's format has no result without times",
      );
      expect((read('hf.json') as HyperfineFile).results.map((x) => x.command)).toEqual(['none: true']);
      expect(fs.readFileSync(path.join(dir, 'hf.md'), 'utf8')).toContain('| `none: false` | no successful run |');
      const out = execFileSync('python3', ['-c', ADVANCED_STATISTICS_CHECK, path.join(dir, 'hf.json')], { encoding: 'utf8' });
      expect(out).toMatch(/^none: true: 3 runs, mean \d+\.\d{3} ms, IQR \d+\.\d{3} ms\n$/);
    });
  },
);
