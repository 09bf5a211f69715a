import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../../test/support/tempDir';
import { uniqueSleep } from '../../../test/support/runners';
import { cli, describeBuilt } from './support/cli';
import { signalCli, sleeping, storeFixtureCalibration, survivorsOf } from './support/leftovers';

/**
 * A `-p` hook ends with its timeout or the signal that stops sandbox-perf, every process it started
 * with it. Before: runHook killed /bin/sh alone, so a `sleep` it started held stderr open and
 * `compare --timeout 1000` waited the whole sleep; predict gave its hooks 600 000 ms whatever
 * --timeout said; SIGINT left the hook's sleep running, its parent gone.
 */
describeBuilt('hooks leave nothing behind', () => {
  const dir = tempDir('hook-leftovers');
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  const db = path.join(dir, 'history.db');
  storeFixtureCalibration(db);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const commands = {
    compare: ['compare', '--db', db, '--sandbox', 'none', '-r', '1'],
    predict: ['predict', '--db', db, '--sandbox', 'bubblewrap'],
  };

  test.each(['compare', 'predict'] as const)(
    '%s --timeout kills a -p hook and what it started at the timeout, and says so',
    async (name) => {
      const sleep = uniqueSleep();
      const ended = await cli([...commands[name], '--timeout', '1000', '-p', `sleep ${sleep}; true`, '--', 'true'], dir, {
        timeoutMs: 30_000,
      });
      expect(ended.code).toBe(1);
      // predict's first -p runs before its profiling run, on the host: its message says so, not "backend none".
      const around = name === 'predict' ? 'the profiling run \\(on the host\\)' : 'backend none';
      expect(ended.stderr).toMatch(
        new RegExp(
          `--prepare command "sleep [\\d.]+; true" failed for ${around}: killed at its timeout \\(1000 ms\\), with every process in its process group`,
        ),
      );
      expect(await survivorsOf(`sleep ${sleep}`)).toEqual([]);
    },
    60_000,
  );

  // A hostile trial of 2026-12-07: runHook waited for the hook's stderr to close, which a process
  // it left in the background holds, so `-p 'sleep 300 &'` kept the command until --timeout and
  // then called the hook failed; and the end of a failing hook's stderr reached the terminal raw.
  test.each(['compare', 'predict'] as const)(
    '%s: a -p hook that leaves a process in the background ends with its shell; a failing one shows its stderr escaped',
    async (name) => {
      const sleep = uniqueSleep();
      const left = await cli([...commands[name], '--timeout', '60000', '-p', `sleep ${sleep} &`, '--', 'true'], dir, { timeoutMs: 90_000 });
      for (const line of sleeping(sleep)) process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
      expect(left.stderr).not.toMatch(/--prepare command/);
      expect(left.code).toBe(0);
      const loud = await cli([...commands[name], '-p', 'printf "\\033]0;PWNED\\007red" >&2; exit 1', '--', 'true'], dir);
      expect(loud.stderr).toContain('its stderr ends with: \\x1b]0;PWNED\\x07red\n');
      expect(loud.stderr).not.toContain('\x1b');
      expect(loud.code).toBe(1);
    },
    120_000,
  );

  // The same trial: predict ran -c only after a profiling run that succeeded.
  test("predict's -c runs after a profiling run that failed (its timeout) too", async () => {
    const mark = path.join(dir, `cleaned-${process.pid}`);
    const r = await cli([...commands.predict, '--timeout', '1000', '-c', `touch ${mark}`, '--', 'sleep', '30'], dir, { timeoutMs: 30_000 });
    expect(r.stderr).toMatch(/the profiling run took over 1000 ms/);
    expect(r.code).toBe(1);
    expect(fs.existsSync(mark)).toBe(true);
  }, 60_000);

  test('a -p hook that removes the working directory: predict says the directory is gone, not that its counter is', async () => {
    const doomed = fs.mkdtempSync(path.join(dir, 'doomed-'));
    const r = await cli([...commands.predict, '-p', `rm -rf ${doomed}`, '--', 'true'], doomed, { timeoutMs: 30_000 });
    expect(r.stderr).toContain(`(the working directory ${doomed} no longer exists)`);
    expect(r.code).toBe(1);
  }, 60_000);

  test.each(['compare', 'predict'] as const)(
    'SIGINT of %s during a -p hook kills the hook and what it started, then dies of SIGINT',
    async (name) => {
      const sleep = uniqueSleep();
      const ended = await signalCli([...commands[name], '-p', `sleep ${sleep}; true`, '--', 'true'], {
        cwd: dir,
        tmp,
        signal: 'SIGINT',
        until: () => sleeping(sleep).length > 0,
      });
      expect(ended.signal).toBe('SIGINT');
      expect(await survivorsOf(`sleep ${sleep}`)).toEqual([]);
      // Killed by the signal's cleanup: not reported as a hook that failed.
      expect(ended.stderr).not.toMatch(/--prepare command/);
    },
    90_000,
  );
});
