import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedDatabase } from '../../../test/support/historyFixture';
import { CLI, cli, defaultHistoryOf, describeBuilt, rowCount } from './support/cli';

/*
 * Issue 13, "smaller bad inputs": each gets a clear `Error: …` in the one shape and the right exit
 * code, and none hangs (every child has a timeout).
 */
// Real child processes and a writer thread on a shared, busy machine.
jest.setTimeout(60_000);

let dir: string;
let history: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-bad-'));
  history = path.join(dir, 'state.db');
  await seedDatabase(history);
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  fs.mkdirSync(path.join(dir, 'a-directory'));
  fs.writeFileSync(path.join(dir, 'script.sh'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Case = [args: () => string[], code: number, stderr: RegExp];

describeBuilt('bad inputs get a clear error', () => {
  jest.setTimeout(60_000);

  test.each<[string, ...Case]>([
    [
      'report --db /nonexistent.db',
      () => ['report', '--db', '/nonexistent.db'],
      1,
      /^Error: no history at \/nonexistent\.db: nothing was recorded there yet/,
    ],
    [
      'report --sandbox nope',
      () => ['report', '--db', history, '--sandbox', 'nope'],
      2,
      /^Error: Expected `--sandbox` to be one of none, unshare, .*, got `"nope"`$/m,
    ],
    [
      'run --workload with a tab (hostile trial 2026-12-07: exit 1, naming `workload`)',
      () => ['run', '--db', history, '--workload', 'a\tb', '--', 'true'],
      2,
      /^Error: Expected `--workload` to be a non-empty string of at most 200 characters without control characters, got /,
    ],
    [
      'report --db /tmp',
      () => ['report', '--db', '/tmp'],
      2,
      /^Error: Expected `--db` to be a sandbox-perf history file or a path where one can be created, got `"\/tmp"` \(a directory\); it was left untouched$/m,
    ],
    [
      'report --db <a FIFO>',
      () => ['report', '--db', path.join(dir, 'fifo')],
      2,
      /^Error: Expected `--db` to be .*\(a FIFO \(named pipe\)\); it was left untouched$/m,
    ],
    [
      'report --db <a text file>',
      () => ['report', '--db', path.join(dir, 'script.sh')],
      2,
      /^Error: Expected `--db` to be .*\(a file that is not a SQLite database \(\d+ bytes starting with .*\)\); it was left untouched$/m,
    ],
    // Before: exit 1 and "Expected `/…/script.sh` to be a sandbox-perf database…" from both (calibrate after its runs).
    ...(['predict', 'calibrate'] as const).map((command): [string, ...Case] => [
      `${command} --db <a text file>`,
      () => [command, '--sandbox', 'bubblewrap', '--db', path.join(dir, 'script.sh'), ...(command === 'predict' ? ['--', 'true'] : [])],
      2,
      /^Error: Expected `--db` to be .*\(a file that is not a SQLite database \(\d+ bytes starting with .*\)\); it was left untouched$/m,
    ]),
    [
      "predict -- '' (an empty program name)",
      () => ['predict', '--sandbox', 'bubblewrap', '--db', path.join(dir, 'predict.db'), '--', ''],
      2,
      /^Error: the command after '--' has an empty program name, got ""; e\.g\. sandbox-perf predict -- node -e 0$/m,
    ],
    [
      'report --since 99999999999999999999w',
      () => ['report', '--db', history, '--since', '99999999999999999999w'],
      2,
      /^Error: Expected `--since` to be a duration that stays after 1970-01-01 \(at most \d+y\), got `"99999999999999999999w"`, which is out of range$/m,
    ],
    [
      'report --since 1h30',
      () => ['report', '--db', history, '--since', '1h30'],
      2,
      /^Error: Expected `--since` to be a duration like 30m, 2h30m, 7d, 2w \(units ms, s, m, h, d, w, y\)/,
    ],
    [
      'report --since 30m2h (units out of order)',
      () => ['report', '--db', history, '--since', '30m2h'],
      2,
      /^Error: Expected `--since` to be a duration like/,
    ],
    [
      'report --buckets 0x10',
      () => ['report', '--db', history, '--buckets', '0x10'],
      2,
      /^Error: Expected `--buckets` to be a decimal integer from 1 to 1000, got `"0x10"`/,
    ],
    [
      'compare --runs 0x2',
      () => ['compare', '--runs', '0x2', '--', 'true'],
      2,
      /^Error: Expected `--runs` to be a decimal integer from 1 to 100000 or 'auto', got `"0x2"` \(e\.g\. --runs 10 or --runs auto\)$/m,
    ],
    [
      'compare --runs 1e3',
      () => ['compare', '--runs', '1e3', '--', 'true'],
      2,
      /^Error: Expected `--runs` to be a decimal integer from 1 to 100000 or 'auto', got `"1e3"`/,
    ],
    [
      'compare --runs 99999999999999999999',
      () => ['compare', '--runs', '99999999999999999999', '--', 'true'],
      2,
      /^Error: Expected `--runs` to be a decimal integer from 1 to 100000 or 'auto', got `"99999999999999999999"`/,
    ],
    [
      'compare --runs 100001',
      () => ['compare', '--runs', '100001', '--', 'true'],
      2,
      /^Error: Expected `--runs` to be a decimal integer from 1 to 100000/,
    ],
    ['compare --runs " 3"', () => ['compare', '--runs', ' 3', '--', 'true'], 2, /^Error: Expected `--runs` to be a decimal integer/],
    [
      'compare --warmup 0x2',
      () => ['compare', '--warmup', '0x2', '--', 'true'],
      2,
      /^Error: Expected `--warmup` to be a decimal integer from 0 to 10000 or 'auto', got `"0x2"`/,
    ],
    [
      'run --timeout 99999999999',
      () => ['run', '--timeout', '99999999999', '--', 'true'],
      2,
      /^Error: Expected `--timeout` to be a decimal integer from 1 to 2147483647/,
    ],
    [
      'run --cpus 1e9',
      () => ['run', '--cpus', '1e9', '--', 'true'],
      2,
      /^Error: Expected `--cpus` to be a decimal number from 0\.01 to \d+/,
    ],
    [
      "compare -- 'node -e 0' (one word)",
      () => ['compare', '--', 'node -e 0'],
      2,
      /^Error: the command "node -e 0" is one word with spaces, and no program has that name: split it into words \(sandbox-perf compare -- node -e 0\) or run it through a shell \(sandbox-perf compare -- sh -c "node -e 0"\)$/m,
    ],
    ["run -- 'node -e 0' (one word)", () => ['run', '--', 'node -e 0'], 2, /^Error: the command "node -e 0" is one word with spaces/],
  ])('%s', async (_, args, code, stderr) => {
    const r = await cli(args(), dir, { timeoutMs: 20_000 });
    expect(r.stderr).toMatch(stderr);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/\n {4}at /);
    expect(rowCount(defaultHistoryOf(dir))).toBe(0);
  });

  test('report --since 2h30m is accepted (Prometheus-style compound duration)', async () => {
    const r = await cli(['report', '--db', history, '--since', '2h30m', '--json'], dir, { timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    const view = JSON.parse(r.stdout) as { since: string };
    const since = Date.parse(view.since);
    expect(Math.abs(Date.now() - 150 * 60_000 - since)).toBeLessThan(60_000);
  });

  test.each([
    ['running a directory', './a-directory', /spawn \.\/a-directory EISDIR: .*a-directory is a directory, not a program/],
    ['running a non-executable file', './script.sh', /spawn \.\/script\.sh EACCES: .*script\.sh is not executable \(chmod \+x it/],
  ])('%s says why, not ENOENT', async (_, program, message) => {
    const r = await cli(['run', '--db', path.join(dir, 'runs.db'), '--', program], dir, { timeoutMs: 20_000 });
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/ENOENT/);
  });

  // The same trial: a calibration id not stored exited 1, and these were not in the one shape.
  test.each([
    [
      ['--sandbox', 'bubblewrap', '--calibration', '999'],
      /^Error: Expected `--calibration` to be the id of a calibration stored in .*, got `"999"`\n$/,
    ],
    [
      ['--sandbox', 'none'],
      /^Error: Expected `--sandbox` to be a backend other than 'none' \(the baseline every prediction is against\), got `"none"`/,
    ],
    [['--sandbox', 'bubblewrap,bubblewrap'], /^Error: Expected `--sandbox` to name each backend once, got `"bubblewrap,bubblewrap"`\n$/],
  ])('predict %j: refused in the one shape, exit 2', async (flags, message) => {
    const r = await cli(['predict', ...flags, '--db', path.join(dir, 'predict-flags.db'), '--', 'true'], dir, { timeoutMs: 20_000 });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  // The same trial: `compare … | head -1` ended compare (and changes, serve) with an unhandled EPIPE's stack trace.
  test('a reader that closes its end: compare ends as it would have, its export written, no stack trace', () => {
    const exported = path.join(dir, 'piped.json');
    // 150 workloads: 180 KB of text, more than a pipe holds, so that writes come after the reader is gone.
    const values = Array.from({ length: 150 }, (_, i) => String(i)).join(',');
    const script = `set -o pipefail; node "$1" compare --db "$2" --sandbox none -r 2 -w 0 --style basic --export-json "$3" -L v ${values} -- echo '{v}' | head -c 10 >/dev/null`;
    const r = spawnSync('bash', ['-c', script, 'bash', CLI, path.join(dir, 'piped.db'), exported], { encoding: 'utf8', timeout: 50_000 });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(r.status).toBe(0);
    expect(fs.existsSync(exported)).toBe(true);
  });

  // The same trial: errors that quote what was typed sent its escape sequences to the terminal.
  test.each([
    [['re\u001b[2Jport'], /^Error: unknown command 're\\x1b\[2Jport'/],
    [['report', '--db', 'e\u001b]0;T\u0007.db'], /^Error: no history at .*e\\x1b\]0;T\\x07\.db: /],
  ])('an error quoting %j is escaped', async (args, message) => {
    const r = await cli(args, dir, { timeoutMs: 20_000 });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('\u001b');
  });

  // A hostile trial of 2026-12-07: from a removed directory, an uncaught stack (process.cwd()'s uv_cwd).
  test('a working directory removed under the shell: one clear error, exit 2', () => {
    const gone = fs.mkdtempSync(path.join(dir, 'gone-'));
    const script = 'cd "$1" && rmdir "$1" && exec node "$2" predict --sandbox unshare -- true';
    let stderr = '';
    let code = 0;
    try {
      execFileSync('sh', ['-c', script, 'sh', gone, CLI], { stdio: 'pipe', timeout: 20_000 });
    } catch (error) {
      ({ status: code } = error as { status: number });
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(stderr).toBe(
      'Error: Expected the working directory to exist, got ENOENT (it was removed while a shell was still in it): cd to an existing directory and run again\n',
    );
    expect(code).toBe(2);
  });
});
