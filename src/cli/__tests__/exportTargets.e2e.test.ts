import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { e2eRequired } from '../../../test/support/e2e';
import { seedDatabase } from '../../../test/support/historyFixture';
import { cli, describeBuilt, rowCount } from './support/cli';

/*
 * Issue 23, finding 5: `compare --db h.db --export-markdown h.db -- true` exited 0 and h.db then
 * held Markdown; the next open moved it aside and the history was gone. Every spelling of the
 * history (its sidecars, a link, a bind mount) and any other SQLite file is refused before the
 * first run: exit 2, nothing run, nothing written, the history intact.
 */
jest.setTimeout(60_000);

let dir: string;
let history: string;
let seeded: number;
let historyBytes: Buffer;
let marker: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-exports-'));
  history = path.join(dir, 'h.db');
  await seedDatabase(history);
  seeded = rowCount(history);
  historyBytes = fs.readFileSync(history);
  marker = path.join(dir, 'ran');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** compare of a command that leaves a marker, so that a run that should not have happened shows. */
function compare(flag: string, target: string, extra: string[] = []): ReturnType<typeof cli> {
  return cli(
    ['compare', '--sandbox', 'none', '--runs', '2', '--warmup', '0', '--db', history, ...extra, flag, target, '--', 'touch', marker],
    dir,
    {
      timeoutMs: 30_000,
    },
  );
}

async function expectRefused(flag: string, target: string, found: RegExp, extra: string[] = []): Promise<void> {
  const r = await compare(flag, target, extra);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(
    new RegExp(
      `^Error: Expected \`${flag}\` to be a file that is not the history, one of its -wal, -shm or -journal files, or any SQLite database, got \`".+"\` \\(`,
    ),
  );
  expect(r.stderr).toMatch(found);
  expect(r.stderr).toMatch(/; it was left untouched and nothing was run\n$/);
  expect(fs.existsSync(marker)).toBe(false);
  expect(rowCount(history)).toBe(seeded);
  expect(fs.readFileSync(history).equals(historyBytes)).toBe(true);
}

const FLAGS = ['--export-json', '--export-csv', '--export-markdown', '--export-hyperfine'];

describeBuilt('exports never touch the history', () => {
  test.each(FLAGS)('exports overwrite the history: %s naming the database itself is refused, exit 2', async (flag) => {
    await expectRefused(flag, history, /\(the history file\)/);
  });

  test.each(['-wal', '-shm', '-journal'])('exports overwrite the history: the database %s file is refused', async (sidecar) => {
    await expectRefused('--export-json', `${history}${sidecar}`, new RegExp(`\\(the history's ${sidecar} file\\)`));
  });

  test('exports overwrite the history: a relative spelling with .. and the SANDBOX_PERF_DB history are refused', async () => {
    await expectRefused('--export-csv', `../${path.basename(dir)}/./h.db`, /\(the history file\)/);
    const r = await cli(
      ['compare', '--sandbox', 'none', '--runs', '1', '--warmup', '0', '--export-markdown', 'h.db', '--', 'touch', marker],
      dir,
      {
        env: { SANDBOX_PERF_DB: history },
        timeoutMs: 30_000,
      },
    );
    expect([r.code, fs.existsSync(marker), rowCount(history)]).toEqual([2, false, seeded]);
  });

  test('exports overwrite the history: a symbolic link to the database, and one to where it will be created, are refused', async () => {
    const link = path.join(dir, 'link.md');
    fs.symlinkSync(history, link);
    await expectRefused('--export-markdown', link, /\(the history file\)/);
    // A history not created yet: the link dangles, and a write through it would create the file.
    const fresh = path.join(dir, 'fresh.db');
    const dangling = path.join(dir, 'dangling.json');
    fs.symlinkSync(fresh, dangling);
    const r = await cli(
      ['compare', '--sandbox', 'none', '--runs', '1', '--warmup', '0', '--db', fresh, '--export-json', dangling, '--', 'true'],
      dir,
      {
        timeoutMs: 30_000,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\(the history file\); it was left untouched and nothing was run/);
    expect(fs.existsSync(fresh)).toBe(false);
  });

  test('exports overwrite the history: a hard link to the database is refused', async () => {
    const hard = path.join(dir, 'hard.csv');
    fs.linkSync(history, hard);
    await expectRefused('--export-csv', hard, /\(the history file under another name \(same device and inode/);
  });

  test('exports overwrite the history: another sandbox-perf history and any SQLite file are refused, and so is a sidecar of one', async () => {
    const other = path.join(dir, 'other-history.db');
    await seedDatabase(other);
    await expectRefused('--export-hyperfine', other, /\(a sandbox-perf history\)/);
    const foreign = path.join(dir, 'app.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (x)');
    db.close();
    await expectRefused('--export-json', foreign, /\(a SQLite database\)/);
    await expectRefused('--export-json', `${foreign}-journal`, /\(the -journal file of a SQLite database\)/);
    expect(new Database(foreign, { readonly: true }).prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
  });

  test('exports overwrite the history: the database bind-mounted onto the export path (mount --bind) is refused', async () => {
    const mounted = path.join(dir, 'bound.md');
    fs.writeFileSync(mounted, 'a report');
    try {
      execFileSync('mount', ['--bind', history, mounted], { stdio: 'pipe' });
    } catch (error) {
      const reason = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
      if (e2eRequired) throw new Error(`mount --bind needs root: ${reason}`);
      process.stderr.write(`skipped: mount --bind is not permitted here (${reason})\n`);
      return;
    }
    try {
      // Another path, another name: only the device and inode tell it is the history.
      expect(execFileSync('findmnt', ['-n', '-o', 'TARGET', mounted]).toString().trim()).toBe(mounted);
      await expectRefused('--export-markdown', mounted, /\(the history file under another name \(same device and inode/);
    } finally {
      execFileSync('umount', [mounted]);
    }
  });

  test('exports overwrite the history: a run that replaces the export path with a link to the history gets nothing written through it', async () => {
    const out = path.join(dir, 'late.json');
    // The command itself (untrusted) swaps the export path for a link to the history during the runs.
    const r = await cli(
      [
        'compare',
        '--sandbox',
        'none',
        '--runs',
        '2',
        '--warmup',
        '0',
        '--db',
        history,
        '--export-json',
        out,
        '--',
        'ln',
        '-sfn',
        history,
        out,
      ],
      dir,
      { timeoutMs: 30_000 },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\(the history file\); it was left untouched \(the path changed during the runs\)\n$/);
    expect(rowCount(history)).toBe(seeded + 2);
    expect(fs.readFileSync(history).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
  });

  test('an ordinary export beside the history is still written, and overwritten on the next compare', async () => {
    const out = path.join(dir, 'report.md');
    // An earlier Markdown export (hyperfine's table), longer than the new one: only an export is replaced (exportForeign.e2e.test.ts).
    fs.writeFileSync(out, `| Command | Mean [ms] | Min [ms] | Max [ms] | Relative |\n|:---|---:|---:|---:|---:|\n${'x'.repeat(100_000)}`);
    const r = await cli(
      ['compare', '--sandbox', 'none', '--runs', '2', '--warmup', '0', '--db', history, '--export-markdown', out, '--', 'true'],
      dir,
      {
        timeoutMs: 30_000,
      },
    );
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^\| Command \|/m);
    expect(fs.readFileSync(out, 'utf8')).not.toContain('xxx');
  });

  // A hostile trial of 2026-12-07: a read-only folder was found after every run ("EROFS … open
  // '/proc/self/fd/28/.sandbox-perf-….tmp'"), a full one named no path at all.
  test('a folder that cannot be written is refused before any run; a write that fails names the flag and the path', async () => {
    if (process.getuid?.() !== 0) {
      if (e2eRequired) throw new Error('mounting a tmpfs needs root');
      return;
    }
    const place = fs.mkdtempSync(path.join(dir, 'place-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k,ro', 'tmpfs', place]);
    try {
      fs.rmSync(marker, { force: true });
      const ro = await compare('--export-json', path.join(place, 'x.json'));
      expect(ro.stderr).toBe(
        `Error: --export-json: the folder ${place} cannot be written (EROFS), so nothing was run: choose another path\n`,
      );
      expect(ro.code).toBe(2);
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      execFileSync('umount', [place]);
    }
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', place]);
    try {
      fs.writeFileSync(path.join(place, 'fill'), Buffer.alloc(4096));
      const full = await compare('--export-json', path.join(place, 'x.json'));
      expect(full.stderr).toContain(`Error: --export-json: writing ${path.join(place, 'x.json')} failed (ENOSPC)`);
      expect(full.code).toBe(1);
    } finally {
      execFileSync('umount', [place]);
    }
  });
});
