import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { defaultDbPath } from '../../state/dbPath';
import { spawnerStatus } from '../../runners/host/Spawner';
import { besidesSweep } from '../../../test/support/e2e';

/*
 * End to end through the built CLI (dist/cli/main.js; `npm test` builds first), each test in a
 * temporary folder with its own database.
 */
const CLI = path.resolve(__dirname, '../../../dist/cli/main.js');
const built = fs.existsSync(CLI);
const d = built ? describe : describe.skip;
if (!built) process.stderr.write(`skipped CLI end-to-end tests: ${CLI} is missing (run: npm run build)\n`);
const spawned = spawnerStatus().path !== null;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
/** XDG_STATE_HOME of the CLI under test: the default history lives there, outside its working directory. */
let stateHome: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-cli-'));
  stateHome = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-cli-state-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(stateHome, { recursive: true, force: true });
});

/** Where the CLI puts its history when neither --db nor SANDBOX_PERF_DB is given. */
function defaultHistory(): string {
  return defaultDbPath({ XDG_STATE_HOME: stateHome }, dir);
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_STATE_HOME: stateHome, NO_COLOR: '1', ...env },
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function rowCount(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM sandbox_perf_records').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

d('sandbox-perf CLI', () => {
  jest.setTimeout(120_000);

  test('run passes the output through, returns the exit code and records the run', async () => {
    const r = await cli(['run', '--', 'node', '-e', "console.log('hello from inside'); process.exit(3)"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('hello from inside\n');
    expect(r.stderr).toMatch(/sandbox-perf: none-[0-9a-f-]+ error in \d/);
    // Issue 22: one "setup" per line (the phase); the backend's prepare + teardown under its own name.
    // Through the spawner (issue 27) the record is its window: no setup phase, the run's own set-up
    // and teardown around the window under their own name.
    expect(r.stderr).toMatch(
      spawned
        ? /^sandbox-perf: .*\(command [^)]*\)(, prepare \+ teardown \S+ m?s not counted)?, the run's set-up \+ teardown \S+ m?s not counted — exited with code 3$/m
        : /^sandbox-perf: .*\(setup [^)]*\)(, prepare \+ teardown \S+ m?s not counted)? — exited with code 3$/m,
    );
    expect(r.stderr.match(/\bsetup\b/g) ?? []).toHaveLength(spawned ? 0 : 1);
    expect(rowCount(defaultHistory())).toBe(1);
  });

  test('compare with two backends and 3 runs, exports parsed back, report --json from the history', async () => {
    const r = await cli([
      'compare',
      '--sandbox',
      'none,unshare',
      '--runs',
      '3',
      '--warmup',
      '0',
      '--export-json',
      'out.json',
      '--export-csv',
      'out.csv',
      '--export-markdown',
      'out.md',
      '--',
      'true',
    ]);
    // Nothing on stderr but, possibly, the host backends' sweep line (test/support/e2e.ts).
    expect(besidesSweep(r.stderr)).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Time \(mean ± σ\):/);
    expect(r.stdout).toMatch(
      /unshare\s+(\d+\.\d\d times (slower|faster) than none \[[\d.]+ … [\d.]+\]|no significant difference from none: [+−][\d.]+ ms per run \[)/,
    );
    expect(r.stdout).toMatch(/hyperfine: \d+\.\d\d ± \d+\.\d\d/);
    // The harness's own cost, measured at start-up and stated in the header (issue 27.6).
    if (spawned) expect(r.stdout).toMatch(/Harness: [\d.]+ (ns|µs|ms) per run inside each host run's timed window/);

    const json = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')) as {
      runs: number;
      baseline: string;
      harness: { timer: string; insideMs: number | null; outsideMs: number | null; runs: number };
      backends: {
        backend: string;
        durationsMs: number[];
        summary: { count: number; meanMs: number };
        isolationMs: { fixed: number; inCommand: number; total: number; low: number; high: number } | null;
      }[];
    };
    expect(json.runs).toBe(3);
    expect(json.baseline).toBe('none');
    expect(json.harness).toMatchObject(spawned ? { timer: 'spawner', runs: 30 } : { timer: 'node', insideMs: null });
    if (spawned) expect(json.harness.insideMs).toBeGreaterThan(0);
    expect(json.backends.map((b) => b.backend)).toEqual(['none', 'unshare']);
    for (const b of json.backends) {
      expect(b.durationsMs).toHaveLength(3);
      expect(b.summary.meanMs).toBeCloseTo(b.durationsMs.reduce((a, x) => a + x, 0) / 3, 9);
    }
    const csv = fs
      .readFileSync(path.join(dir, 'out.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    expect(csv[0]?.slice(0, 11)).toEqual([
      'command',
      'mean',
      'stddev',
      'median',
      'user',
      'system',
      'min',
      'max',
      'backend',
      'runs',
      'failures',
    ]);
    expect(csv.slice(1).map((row) => [row[0], row[8], row[9]])).toEqual([
      ['none: true', 'none', '3'],
      ['unshare: true', 'unshare', '3'],
    ]);
    expect(Number(csv[1]?.[1]) * 1000).toBeCloseTo(json.backends[0]?.summary.meanMs ?? -1, 4);
    // The whole cost of isolation (issue 26.1): the CSV's columns hold what --export-json holds, empty where it is null.
    const columns = [
      'isolation_fixed_ms',
      'isolation_in_command_ms',
      'isolation_total_ms',
      'isolation_total_ci_low_ms',
      'isolation_total_ci_high_ms',
    ];
    expect(csv[0]?.slice(25, 30)).toEqual(columns);
    json.backends.forEach((b, i) => {
      const c = b.isolationMs;
      const expected = c
        ? [c.fixed, c.inCommand, c.total, c.low, c.high].map((v) => String(Number(v.toPrecision(9))))
        : ['', '', '', '', ''];
      expect(csv[i + 1]?.slice(25, 30)).toEqual(expected);
    });
    const md = fs.readFileSync(path.join(dir, 'out.md'), 'utf8');
    expect(md).toMatch(/^\| `unshare: true` \| [\d.]+ ± [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ ± [\d.]+ \|/m);

    const rep = await cli(['report', '--json']);
    expect(rep.code).toBe(0);
    const view = JSON.parse(rep.stdout) as {
      overall: { count: number };
      byBackend: { backend: string; count: number }[];
      histogram: { count: number }[];
    };
    expect(view.overall.count).toBe(6);
    expect(view.byBackend.map((b) => [b.backend, b.count])).toEqual([
      ['none', 3],
      ['unshare', 3],
    ]);
    expect(view.histogram.reduce((a, b) => a + b.count, 0)).toBe(6);

    const since = await cli(['report', '--since', '1h', '--sandbox', 'unshare']);
    expect(since.code).toBe(0);
    expect(since.stdout).toMatch(/unshare\s+3\s/);
  });

  test('a known sleep: the mean lies within the measured error of the truth', async () => {
    // Truth = the sleep plus what starting any process costs here, measured in the same run.
    const r = await cli([
      'compare',
      '--sandbox',
      'none',
      '--runs',
      '8',
      '--warmup',
      '1',
      '--export-json',
      'sleep.json',
      '--',
      'sleep',
      '0.2',
    ]);
    const base = await cli(['compare', '--sandbox', 'none', '--runs', '8', '--warmup', '1', '--export-json', 'true.json', '--', 'true']);
    expect([r.code, base.code]).toEqual([0, 0]);
    const s = (
      JSON.parse(fs.readFileSync(path.join(dir, 'sleep.json'), 'utf8')) as { backends: { summary: { meanMs: number; stddevMs: number } }[] }
    ).backends[0]?.summary;
    const t = (
      JSON.parse(fs.readFileSync(path.join(dir, 'true.json'), 'utf8')) as { backends: { summary: { meanMs: number; stddevMs: number } }[] }
    ).backends[0]?.summary;
    if (!s || !t) throw new Error('missing summaries');
    const truth = 200 + t.meanMs;
    // 3 σ from both samples, plus 2 ms for the timer granularity of sleep(1) itself.
    const tolerance = 3 * Math.sqrt(s.stddevMs ** 2 + t.stddevMs ** 2) + 2;
    expect(Math.abs(s.meanMs - truth)).toBeLessThanOrEqual(tolerance);
  });

  test('--help on every subcommand, --version', async () => {
    const subs = ['run', 'compare', 'report', 'serve', 'demo', 'gc', 'pool'];
    // Side by side: each is a CLI start-up, independent of the others.
    const [v, top, ...helps] = await Promise.all([cli(['--version']), cli(['--help']), ...subs.map((sub) => cli([sub, '--help']))]);
    subs.forEach((sub, i) => {
      expect(helps[i]?.code).toBe(0);
      expect(helps[i]?.stdout).toMatch(new RegExp(`^Usage: sandbox-perf ${sub}`));
    });
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(top.stdout).toMatch(/Commands:\n\s+run\s/);
  });

  test.each([
    [['run', 'node', '-e', '0'], 2, /'run' needs the command to run after '--'/],
    [['run', '--'], 2, /the command after '--' is empty/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    [['compare', '--rnus', '3', '--', 'true'], 2, /unknown option '--rnus' for 'compare' \(did you mean --runs\?\)/],
    [['compare', '--runs', '0', '--', 'true'], 2, /Expected `--runs` to be a decimal integer from 1 to 100000 or 'auto', got `"0"`/],
    [['compare', '--runs', 'abc', '--', 'true'], 2, /Expected `--runs` to be a decimal integer from 1 to 100000 or 'auto', got `"abc"`/],
    [
      ['compare', '--sandbox', 'none,chroot', '--', 'true'],
      2,
      /Expected `--sandbox` to be backends among none, unshare, .*, got `"chroot"`/,
    ],
    [['report', '--since', 'last tuesday'], 2, /Expected `--since` to be a duration like 30m, 2h30m, 7d/],
    [['compare', '--export-json', 'no/such/dir/x.json', '--', 'true'], 2, /--export-json: the folder .*no\/such\/dir does not exist/],
    [['run', '--timeout', '-5', '--', 'true'], 2, /Expected `--timeout` to be a decimal integer from 1 to 2147483647, got `"-5"`/],
  ])('bad input %j → exit %i with a clear message, nothing recorded', async (args, code, message) => {
    const r = await cli(args);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(/^Error: /);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(rowCount(defaultHistory())).toBe(0);
  });

  test('compare of a command that always fails: exit 1, and the message shows the end of its stderr', async () => {
    const script = "console.error('first line'); console.error('usage: tool DIR'); process.exit(3)";
    const r = await cli(['compare', '--sandbox', 'none', '--runs', '2', '--warmup', '0', '--', process.execPath, '-e', script]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no successful run: exited with code 3; its stderr ends with: usage: tool DIR');
    expect(r.stdout).not.toContain('3; its stderr ends with: first line');
    expect(rowCount(defaultHistory())).toBe(2);
  });

  test('a command that does not exist is an error run with the message, exit 127', async () => {
    const r = await cli(['run', '--', 'no-such-command-xyz']);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/ENOENT|not found/);
    const db = new Database(defaultHistory(), { readonly: true });
    const row = db
      .prepare('SELECT r.outcome, d.error FROM sandbox_perf_records r JOIN sandbox_run_details d ON d.record_id = r.id')
      .get() as { outcome: string; error: string };
    db.close();
    expect(row.outcome).toBe('error');
    expect(row.error).toMatch(/no-such-command-xyz/);
  });

  test('colours never with NO_COLOR or off a TTY; the database follows SANDBOX_PERF_DB', async () => {
    const r = await cli(['run', '--', 'true'], { SANDBOX_PERF_DB: path.join(dir, 'custom.db') });
    // eslint-disable-next-line no-control-regex -- an ANSI escape is exactly what must be absent
    expect(r.stderr).not.toMatch(/\u001b\[/);
    expect(rowCount(path.join(dir, 'custom.db'))).toBe(1);
  });
});
