import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen, e2eRequired } from '../../../test/support/e2e';
import { seedDatabase } from '../../../test/support/historyFixture';
import { dockerMissing, gvisorMissing, INSTALL_DOCKER, toolMissing } from '../../../test/support/runners';
import { cli, describeBuilt, rowCount } from './support/cli';
import { sandboxDir } from '../../../test/support/tempDir';

/*
 * Issue 23, finding 6: `run --db .sandbox-perf/state.db --sandbox bubblewrap -- <truncate it>`
 * exited 0 with no warning and the history dropped from 3 rows to 1. A history that a backend of
 * the command binds writable (an explicit one in the working directory or below, the default one
 * when the working directory is the home directory or above it) is refused before anything runs.
 * Each case is a real run that tries to truncate the history; on the old code it did.
 */
jest.setTimeout(120_000);

const TRUNCATE = ['sh', '-c', ': > .sandbox-perf/state.db; rm -f .sandbox-perf/state.db-wal; touch ran'];

interface Place {
  dir: string;
  history: string;
  rows: number;
}

const places: string[] = [];
afterAll(() => {
  for (const dir of places) fs.rmSync(dir, { recursive: true, force: true });
});

/** A working directory holding a history of 3 rows at .sandbox-perf/state.db, owned by `owner` (the Docker user follows the owner). */
async function place(owner = 0): Promise<Place> {
  const dir = sandboxDir('reach');
  places.push(dir);
  const history = path.join(dir, '.sandbox-perf', 'state.db');
  fs.mkdirSync(path.dirname(history));
  await seedDatabase(history);
  const rows = rowCount(history);
  // A checkpointed file of its own: nothing of it in a -wal the command could remove instead.
  fs.rmSync(`${history}-wal`, { force: true });
  fs.rmSync(`${history}-shm`, { force: true });
  if (owner !== 0) execFileSync('chown', ['-R', `${owner}:${owner}`, dir]);
  return { dir, history, rows };
}

function expectRefused(r: { code: number; stderr: string }, p: Place, source: string, backends: string, how?: string): void {
  // The data first: on the old code the run happened and the history lost its rows.
  expect(rowCount(p.history)).toBe(p.rows);
  expect(fs.existsSync(path.join(p.dir, 'ran'))).toBe(false);
  expect(r.stderr).toMatch(
    new RegExp(
      `^Error: Expected ${source} to be outside the working directory ${p.dir}, ${how ?? `which ${backends} binds? writable into the sandbox`}, got \`".+"\`; the run could truncate or forge it, so nothing was run: `,
    ),
  );
  expect(r.code).toBe(2);
}

const hostMissing = toolMissing('bwrap') || toolMissing('unshare');

describeBuilt('a history the run could reach is refused', () => {
  describeWhen('on the host backends', hostMissing, 'apt-get install bubblewrap util-linux', () => {
    test.each(['bubblewrap', 'unshare'])(
      'history inside the working directory: run --db .sandbox-perf/state.db --sandbox %s with a command that truncates it is refused, its rows kept',
      async (backend) => {
        const p = await place();
        const r = await cli(['run', '--db', '.sandbox-perf/state.db', '--sandbox', backend, '--', ...TRUNCATE], p.dir);
        expectRefused(r, p, '`--db`', backend);
      },
    );

    test('history inside the working directory: the default history when the working directory is the home directory is refused', async () => {
      const p = await place();
      const env = { HOME: p.dir, XDG_STATE_HOME: '' };
      const r = await cli(['run', '--sandbox', 'bubblewrap', '--', ...TRUNCATE], p.dir, { env });
      expect(r.stderr).toContain(`got \`"${p.dir}/.local/state/sandbox-perf/`);
      expectRefused(r, p, 'the default history', 'bubblewrap');
      expect(r.stderr).toMatch(
        /run from a project directory below .*, name a history outside it with --db or SANDBOX_PERF_DB, or give the run --workdir ro\n$/,
      );
      // From a project directory below the home directory, the default history is outside it.
      fs.mkdirSync(path.join(p.dir, 'project'));
      const below = await cli(['run', '--sandbox', 'bubblewrap', '--', 'true'], path.join(p.dir, 'project'), { env });
      expect(below.stderr).not.toContain('Error');
      expect(below.code).toBe(0);
    });

    test('history inside the working directory: SANDBOX_PERF_DB, compare, and a name through a symbolic link are refused', async () => {
      const p = await place();
      const viaEnv = await cli(['run', '--sandbox', 'unshare', '--', ...TRUNCATE], p.dir, { env: { SANDBOX_PERF_DB: p.history } });
      expectRefused(viaEnv, p, '`SANDBOX_PERF_DB`', 'unshare');
      const both = await cli(
        ['compare', '--sandbox', 'none,unshare,bubblewrap', '--runs', '1', '--db', p.history, '--', ...TRUNCATE],
        p.dir,
      );
      expectRefused(both, p, '`--db`', 'unshare, bubblewrap');
      const link = path.join(os.tmpdir(), `sandbox-perf-reach-link-${process.pid}`);
      fs.symlinkSync(path.join(p.dir, '.sandbox-perf'), link);
      places.push(link);
      const viaLink = await cli(['run', '--sandbox', 'bubblewrap', '--db', path.join(link, 'state.db'), '--', ...TRUNCATE], p.dir);
      expectRefused(viaLink, p, '`--db`', 'bubblewrap');
    });

    test('history inside the working directory: the working directory bind-mounted elsewhere (mount --bind) is refused by device and inode', async () => {
      const p = await place();
      const alias = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-reach-alias-'));
      try {
        execFileSync('mount', ['--bind', p.dir, alias], { stdio: 'pipe' });
      } catch (error) {
        fs.rmSync(alias, { recursive: true, force: true });
        const reason = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
        if (e2eRequired) throw new Error(`mount --bind needs root: ${reason}`);
        process.stderr.write(`skipped: mount --bind is not permitted here (${reason})\n`);
        return;
      }
      try {
        const r = await cli(
          ['run', '--sandbox', 'unshare', '--db', path.join(alias, '.sandbox-perf', 'state.db'), '--', ...TRUNCATE],
          p.dir,
        );
        expectRefused(r, p, '`--db`', 'unshare');
      } finally {
        execFileSync('umount', [alias]);
        fs.rmSync(alias, { recursive: true, force: true });
      }
    });

    test('history inside the working directory by another name: a hard link there to the history, or to its -wal, is refused (by link count); overlay runs', async () => {
      const p = await place();
      const work = sandboxDir('reach-hardlink');
      places.push(work);
      const link = path.join(work, 'hist.db');
      fs.linkSync(p.history, link);
      const truncate = ['sh', '-c', ': > hist.db; : > hist.db-wal; touch ran'];
      const refusedFor = (file: string, backend: string): RegExp =>
        new RegExp(
          `^Error: Expected \`--db\` to have one name while ${backend} binds the working directory ${work} writable into the sandbox, got \`"${file}"\` with 2 names \\(hard links\\); one could lie in the working directory, where the run could truncate or forge it, so nothing was run: remove the other names \\(.+\\), or name another history with --db, or give the run --workdir ro\n$`,
        );
      const r = await cli(['run', '--db', p.history, '--sandbox', 'bubblewrap', '--', ...truncate], work);
      // On the old code the run went ahead and the history lost its rows through hist.db.
      expect([rowCount(p.history), fs.existsSync(path.join(work, 'ran'))]).toEqual([p.rows, false]);
      expect(r.stderr).toMatch(refusedFor(p.history, 'bubblewrap'));
      expect(r.code).toBe(2);
      // overlay: the run truncates its layer's copy, and the history keeps its rows (plus this run's).
      const overlay = await cli(['run', '--workdir', 'overlay', '--db', p.history, '--sandbox', 'bubblewrap', '--', ...truncate], work);
      expect([overlay.code, fs.existsSync(path.join(work, 'ran')), rowCount(p.history)]).toEqual([0, false, p.rows + 1]);
      fs.rmSync(link);
      fs.rmSync(`${p.history}-wal`, { force: true });
      fs.writeFileSync(`${p.history}-wal`, '');
      fs.linkSync(`${p.history}-wal`, path.join(work, 'hist.db-wal'));
      const wal = await cli(['run', '--db', p.history, '--sandbox', 'unshare', '--', ...truncate], work);
      expect([rowCount(p.history), fs.existsSync(path.join(work, 'ran'))]).toEqual([p.rows + 1, false]);
      expect(wal.stderr).toMatch(refusedFor(`${p.history}-wal`, 'unshare'));
      expect(wal.code).toBe(2);
    });

    test('a history outside the working directory, and one inside it with no sandbox (none), are used as before', async () => {
      const p = await place();
      const outside = path.join(`${p.dir}-state.db`);
      places.push(outside, `${outside}-wal`, `${outside}-shm`);
      const r = await cli(['run', '--sandbox', 'bubblewrap', '--db', outside, '--', 'true'], p.dir);
      expect([r.code, rowCount(outside)]).toEqual([0, 1]);
      // `none` is no sandbox: the run reaches the history wherever it is, and the guarantee table says so.
      const bare = await cli(['run', '--sandbox', 'none', '--db', p.history, '--', 'true'], p.dir);
      expect([bare.code, rowCount(p.history)]).toEqual([0, p.rows + 1]);
    });

    test('history inside the working directory: --workdir ro and overlay leave it out of reach and run; overlay with a --keep that holds it is refused', async () => {
      const p = await place();
      const ro = await cli(
        ['run', '--workdir', 'ro', '--db', '.sandbox-perf/state.db', '--sandbox', 'bubblewrap', '--', ...TRUNCATE],
        p.dir,
      );
      expect(ro.stderr).not.toContain('Error: Expected');
      expect([fs.existsSync(path.join(p.dir, 'ran')), rowCount(p.history)]).toEqual([false, p.rows + 1]);
      const overlay = await cli(
        ['run', '--workdir', 'overlay', '--db', '.sandbox-perf/state.db', '--sandbox', 'unshare', '--', ...TRUNCATE],
        p.dir,
      );
      expect(overlay.stderr).not.toContain('Error: Expected');
      expect([fs.existsSync(path.join(p.dir, 'ran')), rowCount(p.history)]).toEqual([false, p.rows + 2]);
      const kept = await cli(
        [
          'run',
          '--workdir',
          'overlay',
          '--keep',
          '.sandbox-perf',
          '--db',
          '.sandbox-perf/state.db',
          '--sandbox',
          'unshare',
          '--',
          ...TRUNCATE,
        ],
        p.dir,
      );
      expectRefused(
        { ...kept },
        { ...p, rows: p.rows + 2 },
        '`--db`',
        'unshare',
        'whose ".sandbox-perf" --keep copies back from the run\'s layer',
      );
    });

    test('history inside the working directory: predict --check is refused before its prepare hook and its profiling run (on the host, unsandboxed)', async () => {
      const p = await place();
      const r = await cli(
        ['predict', '--db', p.history, '--sandbox', 'bubblewrap', '--check', '-r', '2', '-p', 'touch prepared', '--', ...TRUNCATE],
        p.dir,
      );
      expectRefused(r, p, '`--db`', 'bubblewrap');
      expect(fs.existsSync(path.join(p.dir, 'prepared'))).toBe(false);
      // predict has no --workdir: the fix offered does not send the user to it.
      expect(r.stderr).toMatch(/: choose a history outside .* with --db, or run from another directory\n$/);
    });

    test('history inside the working directory: serve --canary with a backend that binds it is refused at start', async () => {
      const p = await place();
      const r = await cli(['serve', '--port', '0', '--db', p.history, '--canary', '--sandbox', 'unshare', '--', ...TRUNCATE], p.dir, {
        timeoutMs: 30_000,
      });
      expectRefused(r, p, '`--db`', 'unshare');
    });
  });

  describeWhen('on docker', dockerMissing(), INSTALL_DOCKER, () => {
    test("history inside the working directory: run --db .sandbox-perf/state.db --sandbox docker, the directory a user's (the container runs as its owner), is refused", async () => {
      const p = await place(1000);
      const r = await cli(['run', '--db', '.sandbox-perf/state.db', '--sandbox', 'docker', '--', ...TRUNCATE], p.dir);
      expectRefused(r, p, '`--db`', 'docker');
    });
  });

  describeWhen(
    'on gvisor (writes are discarded)',
    gvisorMissing(),
    'apt-get install runsc',
    () => {
      test('a history inside the working directory is not refused on gvisor, and its run cannot truncate it', async () => {
        const p = await place();
        const r = await cli(['run', '--db', '.sandbox-perf/state.db', '--sandbox', 'gvisor', '--', ...TRUNCATE], p.dir);
        // The run happened (its sh is refused the root-owned file, and the overlay would discard it anyway).
        expect(r.stderr).not.toContain('Error: Expected');
        expect(r.stderr).toMatch(/sandbox-perf: gvisor-\S+ (success|error) in /);
        expect(fs.existsSync(path.join(p.dir, 'ran'))).toBe(false);
        expect(rowCount(p.history)).toBe(p.rows + 1);
      });
    },
    { optional: true },
  );
});
