import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';

/*
 * compare as a hyperfine user drives it, through the built CLI (dist/cli/main.js), against the
 * real hyperfine and python3 where they are installed (.ci/e2e-deps.sh installs both).
 */
const CLI = path.resolve(__dirname, '../../../dist/cli/main.js');
const built = fs.existsSync(CLI);
if (!built) process.stderr.write(`skipped compare end-to-end tests: ${CLI} is missing (run: npm run build)\n`);
const d = built ? describe : describe.skip;

function has(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-hf-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** The JSON type tree of a value: every key and the type at every level (arrays by their elements' types). */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return [...new Set(value.map((v) => JSON.stringify(shape(v))))].map((s) => JSON.parse(s) as unknown);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, shape(v)]));
  }
  return value === null ? 'null' : typeof value;
}

d('compare, the hyperfine habits', () => {
  jest.setTimeout(120_000);

  test('-r/-w short flags, --shell runs one string through sh, the header quotes argv as a shell would', async () => {
    const r = await cli(['compare', '--sandbox', 'none', '-r', '2', '-w', '0', '--shell', '--', 'exit 0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Command: /bin/sh -c 'exit 0'  (2 round(s), 0 warm-up, interleaved)");
    const q = await cli(['compare', '--sandbox', 'none', '-r2', '-w0', '--', 'sh', '-c', "exit 0 # it's"]);
    expect(q.stdout).toContain(`Command: sh -c 'exit 0 # it'\\''s'`);
  });

  test('one string with spaces and no --shell: refused before any run, saying how to fix it', async () => {
    const r = await cli(['compare', '--sandbox', 'none', '-r', '1', '-w', '0', '--', 'node -e 0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the command "node -e 0" is one word with spaces.*split it into words/);
    const shell = await cli(['compare', '--sandbox', 'none', '-r', '1', '-w', '0', '--shell', '--', 'node -e 0']);
    expect(shell.code).toBe(0);
  });

  test('--setup, --prepare, --cleanup run per backend on the host; --show-output prints the output', async () => {
    const log = path.join(dir, 'hooks.log');
    const r = await cli([
      'compare',
      '--sandbox',
      'none,unshare',
      '-r',
      '2',
      '-w',
      '1',
      '--setup',
      `echo setup $SANDBOX_PERF_BACKEND >> ${log}`,
      '--prepare',
      `echo prepare $SANDBOX_PERF_BACKEND >> ${log}`,
      '--cleanup',
      `echo cleanup $SANDBOX_PERF_BACKEND >> ${log}`,
      '--show-output',
      '--',
      'echo',
      'visible-output',
    ]);
    expect(r.code).toBe(0);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.filter((l) => l === 'setup none')).toHaveLength(1);
    expect(lines.filter((l) => l === 'prepare unshare')).toHaveLength(3); // 1 warm-up + 2 timed
    expect(lines.filter((l) => l === 'cleanup unshare')).toHaveLength(1);
    expect(lines[0]).toBe('setup none');
    expect(lines[lines.length - 1]).toBe('cleanup unshare');
    expect(r.stdout.split('\n').filter((l) => l === 'visible-output')).toHaveLength(6); // 2 backends × (1 warm-up + 2 timed)
    expect(r.stdout).toMatch(/\[User: [\d.]+ ms, System: [\d.]+ ms\]/);

    const failing = await cli(['compare', '--sandbox', 'none', '-r', '1', '--prepare', 'echo nope >&2; exit 4', '--', 'true']);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(
      /--prepare command "echo nope >&2; exit 4" failed for backend none: exited with code 4; its stderr ends with: nope/,
    );
  });

  test('--save-baseline then --baseline: today against the saved comparison, with intervals', async () => {
    // Outside the working directory that unshare binds writable (a history inside it is refused).
    const history = path.join(`${dir}-state`, 'h.db');
    fs.mkdirSync(path.dirname(history));
    const first = await cli([
      'compare',
      '--db',
      history,
      '--sandbox',
      'none,unshare',
      '-r',
      '4',
      '-w',
      '0',
      '--save-baseline',
      'main',
      '--',
      'true',
    ]);
    expect(first.code).toBe(0);
    expect(fs.existsSync(path.join(path.dirname(history), 'baselines', 'main.json'))).toBe(true);
    const second = await cli([
      'compare',
      '--db',
      history,
      '--sandbox',
      'none,unshare',
      '-r',
      '4',
      '-w',
      '0',
      '--baseline',
      'main',
      '--',
      'true',
    ]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Against saved baseline main \(saved 20\d\d-/);
    expect(second.stdout).toMatch(/unshare\s+overhead\s+[+−][\d.]+ ms → [+−][\d.]+ ms: (no significant change|higher|lower) [+−]/);
    const missing = await cli(['compare', '--db', history, '--baseline', 'nope', '--', 'true']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no saved baseline "nope" \(saved: main\)/);
    fs.rmSync(path.dirname(history), { recursive: true, force: true });
  });

  test('--runs auto --precision stops by itself and says after how many rounds and why', async () => {
    const r = await cli([
      'compare',
      '--runs',
      'auto',
      '--precision',
      '25%',
      '-m',
      '3',
      '-M',
      '40',
      '--sandbox',
      'none,unshare',
      '--',
      'true',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stopped after \d+ rounds: (every interval within 25 %|--max-runs 40 reached before 25 %)/);
    const bad = await cli(['compare', '--runs', '5', '--precision', '5%', '--', 'true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--precision applies to adaptive runs; drop --runs 5 or write --runs auto/);
  });
});

describeWhen(
  'compare --export-hyperfine against the real hyperfine',
  !has('hyperfine') && 'hyperfine is not installed',
  'apt-get install -y hyperfine',
  () => {
    jest.setTimeout(120_000);
    test('the same keys and types at every level as a file hyperfine wrote here, for 1 run and for several', async () => {
      for (const runs of ['1', '3']) {
        execFileSync('hyperfine', ['-N', '-r', runs, '-w', '0', '--export-json', path.join(dir, `real-${runs}.json`), 'true'], {
          stdio: 'ignore',
        });
        const r = await cli([
          'compare',
          '--sandbox',
          'none,unshare',
          '-r',
          runs,
          '-w',
          '0',
          '--export-hyperfine',
          `ours-${runs}.json`,
          '--',
          'true',
        ]);
        expect(r.code).toBe(0);
        const real = JSON.parse(fs.readFileSync(path.join(dir, `real-${runs}.json`), 'utf8')) as unknown;
        const ours = JSON.parse(fs.readFileSync(path.join(dir, `ours-${runs}.json`), 'utf8')) as {
          results: { command: string; times: number[] }[];
        };
        expect(shape(ours)).toEqual(shape(real));
        expect(ours.results.map((x) => x.command)).toEqual(['none: true', 'unshare: true']);
        expect(ours.results[0]?.times).toHaveLength(Number(runs));
      }
    });
  },
);

describeWhen(
  'hyperfine scripts read --export-hyperfine',
  !has('python3') && 'python3 is not installed',
  'apt-get install -y python3',
  () => {
    jest.setTimeout(120_000);
    test("the keys scripts/advanced_statistics.py uses: json['results'], b['command'], b['times'] (seconds)", async () => {
      const r = await cli(['compare', '--sandbox', 'none', '-r', '3', '-w', '0', '--export-hyperfine', 'ours.json', '--', 'true']);
      expect(r.code).toBe(0);
      const script = [
        'import json, statistics, sys',
        'results = json.load(open(sys.argv[1]))["results"]',
        'for b in results:',
        '    ts = b["times"]',
        '    print(b["command"], len(ts), statistics.mean(ts) < 60, statistics.stdev(ts) >= 0, b["exit_codes"])',
      ].join('\n');
      const out = execFileSync('python3', ['-c', script, path.join(dir, 'ours.json')], { encoding: 'utf8' });
      expect(out).toBe('none: true 3 True True [0, 0, 0]\n');
    });
  },
);
