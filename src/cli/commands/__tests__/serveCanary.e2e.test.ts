import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describeWhen } from '../../../../test/support/e2e';
import { processesMatching, toolMissing, uniqueSleep } from '../../../../test/support/runners';
import { UsageError } from '../../command';
import { serveArgs } from '../serve';
import { commandWorkload } from '../../../runners/workload';

/* `serve --canary` through the built CLI (dist/cli/main.js; `npm test` builds first). */
const CLI = path.resolve(__dirname, '../../../../dist/cli/main.js');

describe('serve --canary arguments', () => {
  test("one parse reads serve's flags, the canary's and the command after '--'", () => {
    const args = serveArgs(
      ['--port', '0', '--canary', '--every=90s', '--db', 'x.db', '--sandbox', 'none,unshare', '--runs', '3', '--', 'node', '-e', '0'],
      '/work',
    );
    // --help is answered before any command parses its flags (defineCommand), so it is not among them.
    expect(args).toMatchObject({ port: 0, db: 'x.db', host: '127.0.0.1', allowHosts: [] });
    expect(args).not.toHaveProperty('help');
    expect(args.canary).toEqual({
      command: ['node', '-e', '0'],
      sandbox: { cwd: '/work', workdir: 'rw' },
      everyMs: 90_000,
      backends: ['unshare'],
      runs: 3,
    });
    expect(serveArgs(['--port', '0'], '/work')).toMatchObject({ port: 0, canary: null });
    expect(serveArgs(['--canary', '--every', '2h30m', '--', 'true'], '/').canary?.everyMs).toBe(9_000_000);
  });

  test.each([
    [['--every', '5m'], /^--every is an option of --canary/],
    [['--port', '0', '--runs', '3', '--every', '5m'], /^--runs is an option of --canary/],
    [['--', 'true'], /^a command after '--' needs --canary, e\.g\. sandbox-perf serve --canary -- true$/],
    [['--canary'], /^--canary needs the command to run after '--'/],
    [
      ['--canary', '--every', '500ms', '--', 'true'],
      /^Expected `--every` to be a duration from 1s to 24d like 30s, 10m or 1h30m, got `"500ms"`$/,
    ],
    [['--canary', '--every', 'soon', '--', 'true'], /^Expected `--every` to be a duration/],
    [['--canary', '--sandbox', 'none', '--', 'true'], /^--sandbox: name at least one backend besides none/],
    [['--canary', '--sandbox', 'chroot', '--', 'true'], /^Expected `--sandbox` to be backends among .*, got `"chroot"`/],
    [['--canary', '--runs', '0', '--', 'true'], /^Expected `--runs` to be a decimal integer from 1 to 1000, got `"0"`/],
    [['--canary', '--', 'node -e 0'], /is one word with spaces/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => serveArgs(argv, os.tmpdir())).toThrow(UsageError);
    expect(() => serveArgs(argv, os.tmpdir())).toThrow(message);
  });
});

describeWhen('serve --canary (built CLI, real processes, real SQLite)', toolMissing('unshare'), 'apt-get install util-linux', () => {
  jest.setTimeout(90_000);
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-serve-canary-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('records rounds, exports sandbox_canary_ratio, and SIGTERM in the middle of a round stops it with nothing left running', async () => {
    // The history outside the working directory the canary's unshare binds writable (refused inside it).
    const file = path.join(dir, 'state.db');
    const work = path.join(dir, 'work');
    fs.mkdirSync(work);
    const sleep = uniqueSleep().replace(/^\d+/, '0');
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--db', file, '--canary', '--every', '1s', '--runs', '2', '--sandbox', 'unshare', '--', 'sleep', sleep],
      { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const waitFor = async (check: () => boolean, what: string): Promise<void> => {
      const until = Date.now() + 60_000;
      while (!check()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}; stdout: ${out}; stderr: ${err}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    try {
      await waitFor(() => /canary: round 1, 2 runs × 2 backends/.test(out), 'the first round');
      const url = /dashboard (http:\/\/\S+\/) /.exec(out)?.[1] as string;
      const metrics = await (await fetch(`${url}metrics`)).text();
      // Labelled by the workload key, as sandbox_overhead_seconds is.
      const key = commandWorkload(['sleep', sleep], work).key;
      expect(metrics).toMatch(new RegExp(`^sandbox_canary_ratio\\{backend="unshare",workload="${key}"\\} [\\d.]+$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^sandbox_canary_rounds_total\\{workload="${key}",result="completed"\\} [1-9]`, 'm'));
      expect(metrics).toMatch(new RegExp(`^sandbox_workload_info\\{[^}]*workload="${key}"[^}]*\\} 1$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^sandbox_canary_cpu_seconds_total\\{workload="${key}"\\} [\\d.e-]+$`, 'm'));

      // The next round's runs: SIGTERM while one is in flight.
      await waitFor(() => processesMatching(sleep).length > 0 && /canary: round 1,/.test(out), 'a run in flight');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(processesMatching(sleep)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
    const db = new Database(file, { readonly: true });
    try {
      const rounds = db
        .prepare(
          `SELECT canary_round, count(*) AS runs, group_concat(DISTINCT backend) AS backends FROM sandbox_run_overhead
            WHERE canary_round IS NOT NULL AND outcome = 'success' GROUP BY canary_round ORDER BY canary_round LIMIT 1`,
        )
        .all();
      expect(rounds).toEqual([{ canary_round: expect.any(Number) as number, runs: 4, backends: 'none,unshare' }]);
    } finally {
      db.close();
    }
  });
});
