import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StateDatabase } from '../../state/StateDatabase';
import { e2eRequired } from '../../../test/support/e2e';
import { cli, describeBuilt, rowCount } from './support/cli';

/*
 * Issue 13: the exit code is the command's (`run`) or 1 when every run failed (`compare`),
 * whatever state the history is in; the lost runs are counted on stderr with the path.
 */
// Real child processes and a writer thread on a shared, busy machine.
jest.setTimeout(60_000);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-exit-'));
  fs.writeFileSync(path.join(dir, 'plain.txt'), 'not a directory\n');
  fs.mkdirSync(path.join(dir, 'a-directory'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  fs.symlinkSync(path.join(dir, 'loop-b'), path.join(dir, 'loop-a'));
  fs.symlinkSync(path.join(dir, 'loop-a'), path.join(dir, 'loop-b'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const EXIT_7 = ['--', 'sh', '-c', 'exit 7'];

describeBuilt('exit codes with an unusable history', () => {
  jest.setTimeout(60_000);

  test.each([
    [
      'a path under a plain file',
      () => path.join(dir, 'plain.txt', 'state.db'),
      /\(a path under a plain file \(.*plain\.txt is not a folder\)\)/,
    ],
    ['a directory', () => path.join(dir, 'a-directory'), /\(a directory\)/],
    ['/dev/null', () => '/dev/null', /\(a character device\)/],
    ['a FIFO', () => path.join(dir, 'fifo'), /\(a FIFO \(named pipe\)\)/],
    ['a symlink loop', () => path.join(dir, 'loop-a'), /\(a symbolic link loop\)/],
    ['/proc/self/mem', () => '/proc/self/mem', /\(a file in \/proc\/\S+ \(a kernel pseudo file system\)\)/],
  ])("run --db <%s> -- sh -c 'exit 7' exits 7 and says the run was not recorded", async (_, db, why) => {
    const file = db();
    const mtime = (): number | undefined => {
      try {
        return fs.lstatSync(file).mtimeMs;
      } catch {
        return undefined;
      }
    };
    const before = mtime();
    const r = await cli(['run', '--db', file, ...EXIT_7], dir, { timeoutMs: 20_000 });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`sandbox-perf: 1 run(s) not recorded: Expected \`--db\` to be a sandbox-perf history file`);
    expect(r.stderr).toContain(JSON.stringify(file));
    expect(r.stderr).toMatch(why);
    // Nothing was created or changed there.
    expect(mtime()).toBe(before);
  });

  test('SANDBOX_PERF_DB names the variable when it points at a FIFO', async () => {
    const r = await cli(['run', ...EXIT_7], dir, { env: { SANDBOX_PERF_DB: path.join(dir, 'fifo') }, timeoutMs: 20_000 });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('not recorded: Expected `SANDBOX_PERF_DB` to be a sandbox-perf history file');
  });

  test('compare --db <a FIFO> of a command that always fails exits 1; 2 runs not recorded', async () => {
    const r = await cli(['compare', '--sandbox', 'none', '--runs', '2', '--warmup', '0', '--db', path.join(dir, 'fifo'), ...EXIT_7], dir, {
      timeoutMs: 20_000,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no successful run: exited with code 7');
    expect(r.stderr).toContain('sandbox-perf: 2 run(s) not recorded: Expected `--db`');
  });

  test('compare --db <a FIFO> of a command that succeeds still exits 0', async () => {
    const r = await cli(
      ['compare', '--sandbox', 'none', '--runs', '2', '--warmup', '0', '--db', path.join(dir, 'fifo'), '--', 'true'],
      dir,
      {
        timeoutMs: 20_000,
      },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('sandbox-perf: 2 run(s) not recorded');
  });
});

/** Root can mount; elsewhere this block is skipped with the reason. */
function readOnlyMount(target: string): string | null {
  try {
    execFileSync('mount', ['--bind', target, target], { stdio: 'pipe' });
    execFileSync('mount', ['-o', 'remount,ro,bind', target], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return `cannot make a read-only bind mount here (${(error as Error).message.split('\n')[0]}); run as root`;
  }
}

const roDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-ro-'));
const roFile = path.join(roDir, 'state.db');
let roProblem: string | null = null;
beforeAll(async () => {
  const db = new StateDatabase({ path: roFile, handleExit: false });
  db.insert('sandbox_perf_records', { sandboxId: 'kept', startTime: Date.now(), durationMs: 5, outcome: 'success', alertFired: false });
  await db.close();
  roProblem = readOnlyMount(roDir);
});
afterAll(() => {
  if (roProblem === null) execFileSync('umount', [roDir]);
  fs.rmSync(roDir, { recursive: true, force: true });
});

describeBuilt('exit codes with a history on a read-only mount', () => {
  jest.setTimeout(60_000);

  test('report on a read-only WAL history: opened read-only, or an error naming the path', async () => {
    if (roProblem !== null) {
      if (e2eRequired) throw new Error(roProblem);
      process.stderr.write(`skipped: ${roProblem}\n`);
      return;
    }
    const r = await cli(['report', '--db', roFile, '--json'], roDir, { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `Error: Cannot open the history ${roFile} read-only (SQLITE_CANTOPEN: unable to open database file): ` +
        'its file system is read-only and a WAL history needs its -shm file beside it; copy the file somewhere writable and read the copy\n',
    );
  });

  test("run --db <a read-only mount> -- sh -c 'exit 7' exits 7, names the path and the count", async () => {
    if (roProblem !== null) {
      if (e2eRequired) throw new Error(roProblem);
      process.stderr.write(`skipped: ${roProblem}\n`);
      return;
    }
    const started = Date.now();
    const r = await cli(['run', '--db', roFile, ...EXIT_7], roDir, { timeoutMs: 30_000 });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`sandbox-perf: 1 run(s) not recorded in ${roFile} (`);
    expect(Date.now() - started).toBeLessThan(15_000);
    execFileSync('umount', [roDir]);
    roProblem = 'unmounted';
    expect(rowCount(roFile)).toBe(1);
  });
});
