import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describeWhen, e2eRequired } from '../../../test/support/e2e';
import { seedDatabase } from '../../../test/support/historyFixture';
import { toolMissing } from '../../../test/support/runners';
import { cli, describeBuilt, rowCount } from './support/cli';
import { sandboxDir } from '../../../test/support/tempDir';

/*
 * A history outside the working directory that a mount shows inside it: its folder bound there,
 * or the file bound alone (`mount --bind state.db ./hist.db`, which leaves it one name, so the
 * hard-link check passes). Backends bind the working directory with what is mounted below it, so
 * the run reaches the history through that mount. Before: not detected, and a run truncated it
 * (stop 37's hostile trial). Now refused like a history in the working directory, naming the mount.
 */
jest.setTimeout(120_000);

const dirs: string[] = [];
const mounted: string[] = [];
afterEach(() => {
  for (const point of mounted.splice(0).reverse()) execFileSync('umount', [point]);
});
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** mount --bind, or null (and a skip) where this process may not mount: a failure under SANDBOX_PERF_E2E=required. */
function bind(source: string, target: string): boolean {
  try {
    execFileSync('mount', ['--bind', source, target], { stdio: 'pipe' });
  } catch (error) {
    const reason = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
    if (e2eRequired) throw new Error(`mount --bind needs root: ${reason}`);
    process.stderr.write(`skipped: mount --bind is not permitted here (${reason})\n`);
    return false;
  }
  mounted.push(target);
  return true;
}

/** A history of 3 rows in a folder of its own, and a working directory apart from it. */
async function setUp(): Promise<{ history: string; rows: number; work: string }> {
  const home = sandboxDir('mounted-history');
  const work = sandboxDir('mounted-work');
  dirs.push(home, work);
  const history = path.join(home, 'state.db');
  await seedDatabase(history);
  fs.rmSync(`${history}-wal`, { force: true });
  fs.rmSync(`${history}-shm`, { force: true });
  return { history, rows: rowCount(history), work };
}

const refused = (work: string, backend: string, shown: string): RegExp =>
  new RegExp(
    `^Error: Expected \`--db\` to be outside the working directory ${work}, which ${backend} binds writable into the sandbox, got \`".+"\` \\(a mount shows it there as ${shown}\\); the run could truncate or forge it, so nothing was run: `,
  );

describeBuilt('a history a mount shows inside the working directory is refused', () => {
  describeWhen('on the host backends', toolMissing('bwrap') || toolMissing('unshare'), 'apt-get install bubblewrap util-linux', () => {
    test('the history file bound alone into the working directory (one name): refused, its rows kept; after umount the run goes ahead', async () => {
      const { history, rows, work } = await setUp();
      const alias = path.join(work, 'hist.db');
      fs.writeFileSync(alias, '');
      if (!bind(history, alias)) return;
      const truncate = ['sh', '-c', ': > hist.db; touch ran'];
      const r = await cli(['run', '--db', history, '--sandbox', 'bubblewrap', '--', ...truncate], work);
      expect(rowCount(history)).toBe(rows);
      expect(fs.existsSync(path.join(work, 'ran'))).toBe(false);
      expect(r.stderr).toMatch(refused(work, 'bubblewrap', alias));
      expect(r.code).toBe(2);
      execFileSync('umount', [mounted.pop() as string]);
      const after = await cli(['run', '--db', history, '--sandbox', 'bubblewrap', '--', 'true'], work);
      expect(after.stderr).not.toContain('Error');
      expect(after.code).toBe(0);
    });

    test("the history's folder bound into the working directory: refused, naming where the mount shows it; --workdir ro runs", async () => {
      const { history, rows, work } = await setUp();
      const alias = path.join(work, 'state');
      fs.mkdirSync(alias);
      if (!bind(path.dirname(history), alias)) return;
      const r = await cli(['run', '--db', history, '--sandbox', 'unshare', '--', 'sh', '-c', ': > state/state.db; touch ran'], work);
      expect(rowCount(history)).toBe(rows);
      expect(r.stderr).toMatch(refused(work, 'unshare', path.join(alias, 'state.db')));
      expect(r.code).toBe(2);
      const ro = await cli(['run', '--db', history, '--sandbox', 'unshare', '--workdir', 'ro', '--', 'true'], work);
      expect(ro.code).toBe(0);
      expect(rowCount(history)).toBe(rows + 1);
    });

    // The same trial: --keep naming the history's file (through a bind of its folder) replaced it,
    // and --keep .sandbox-perf/state.db-wal forged every row through the WAL.
    test("overlay --keep that would write the history's file or a companion, by any name, is refused; another path is kept", async () => {
      const { history, rows, work } = await setUp();
      const alias = path.join(work, 'out');
      fs.mkdirSync(alias);
      if (!bind(path.dirname(history), alias)) return;
      const forge = ['sh', '-c', 'echo FORGED > out/state.db; echo FORGED > out/state.db-wal; echo kept > out/other'];
      for (const keep of ['out/state.db', 'out/state.db-wal']) {
        const r = await cli(
          ['run', '--db', history, '--sandbox', 'bubblewrap', '--workdir', 'overlay', '--keep', keep, '--', ...forge],
          work,
        );
        expect(r.stderr).toContain(`whose ${JSON.stringify(keep)} --keep copies back from the run's layer`);
        expect(r.code).toBe(2);
      }
      expect(rowCount(history)).toBe(rows);
      const other = await cli(
        ['run', '--db', history, '--sandbox', 'bubblewrap', '--workdir', 'overlay', '--keep', 'out/other', '--', ...forge],
        work,
      );
      expect(other.code).toBe(0);
      expect(fs.readFileSync(path.join(path.dirname(history), 'other'), 'utf8')).toBe('kept\n');
      expect(rowCount(history)).toBe(rows + 1);
      // In the working directory itself: its -wal named alone.
      const inside = path.join(work, '.sp');
      fs.mkdirSync(inside);
      fs.copyFileSync(history, path.join(inside, 'state.db'));
      const wal = await cli(
        ['run', '--db', '.sp/state.db', '--sandbox', 'bubblewrap', '--workdir', 'overlay', '--keep', '.sp/state.db-wal', '--', 'true'],
        work,
      );
      expect(wal.stderr).toContain(`whose ".sp/state.db-wal" --keep copies back from the run's layer`);
      expect(wal.code).toBe(2);
    });
  });
});
