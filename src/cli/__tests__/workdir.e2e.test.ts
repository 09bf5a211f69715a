import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import { toolMissing } from '../../../test/support/runners';
import { cli, describeBuilt, rowCount } from './support/cli';
import { sandboxDir } from '../../../test/support/tempDir';

/* --workdir and --keep on the command line (issue 23, point 2), and the warning about code the host runs. */
jest.setTimeout(120_000);

let dir: string;
beforeEach(() => {
  dir = sandboxDir('workdir-cli');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(`${dir}-state`, { recursive: true, force: true });
});

describeBuilt('--workdir and --keep are checked before anything runs', () => {
  test.each([
    [['--workdir', 'rx'], /Expected `--workdir` to be one of rw, overlay, ro, got `"rx"`/],
    [['--keep', 'dist'], /--keep copies back from the run's layer: it needs --workdir overlay \(got --workdir rw\)/],
    [['--workdir', 'ro', '--keep', 'dist'], /needs --workdir overlay \(got --workdir ro\)/],
    [
      ['--workdir', 'overlay', '--keep', '../escape'],
      /Expected `--keep` to be a path inside the working directory \(relative, no '..'\), got `"..\/escape"`/,
    ],
    [['--workdir', 'overlay', '--keep', '/etc'], /got `"\/etc"`/],
  ])('run %j is a usage error (exit 2), and nothing runs', async (flags, message) => {
    const result = await cli(['run', ...flags, '--', 'touch', 'ran'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(fs.existsSync(path.join(dir, 'ran'))).toBe(false);
  });

  test('compare, demo and serve --canary take the same flags', async () => {
    expect((await cli(['compare', '--workdir', 'nope', '--', 'true'], dir)).stderr).toMatch(
      /Expected `--workdir` to be one of rw, overlay, ro/,
    );
    expect((await cli(['demo', '--workdir', 'nope'], dir)).stderr).toMatch(/Expected `--workdir` to be one of rw, overlay, ro/);
    const serve = await cli(['serve', '--workdir', 'ro'], dir);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/--workdir is an option of --canary/);
  });
});

describeBuilt('the warning about code the host runs later', () => {
  beforeEach(() => {
    fs.mkdirSync(path.join(dir, 'node_modules/.bin'), { recursive: true });
    fs.mkdirSync(path.join(dir, '.git/hooks'), { recursive: true });
  });
  const WARNING = /warning: the working directory holds code this host runs later \(node_modules\/\.bin, \.git\/hooks\)/;

  describeWhen('on an isolating backend', toolMissing('bwrap'), 'apt-get install bubblewrap', () => {
    test('rw (the default) warns once, naming what it found and what to use instead', async () => {
      const result = await cli(['compare', '--sandbox', 'none,bubblewrap', '--runs', '2', '--warmup', '0', '--', 'true'], dir);
      expect(result.code).toBe(0);
      expect(result.stderr.match(new RegExp(WARNING, 'g'))).toHaveLength(1);
      expect(result.stderr).toMatch(/on bubblewrap can rewrite it; use --workdir overlay \(with --keep PATH for outputs\) or --workdir ro/);
    });

    test('ro and overlay do not warn', async () => {
      for (const mode of ['ro', 'overlay']) {
        const result = await cli(['run', '--sandbox', 'bubblewrap', '--workdir', mode, '--', 'true'], dir);
        expect(result.code).toBe(0);
        expect(result.stderr).not.toMatch(WARNING);
      }
    });
  });

  test('none, which isolates nothing, does not warn', async () => {
    const result = await cli(['run', '--', 'true'], dir);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(WARNING);
  });
});

describeWhen('run --workdir overlay --keep', toolMissing('bwrap'), 'apt-get install bubblewrap', () => {
  describeBuilt('on bubblewrap', () => {
    test('copies back the declared output, says what it left out, and nothing else lands', async () => {
      const script = 'mkdir -p out && echo built > out/app.js && ln -s /etc/hostname out/link && echo pwned > other.txt';
      const result = await cli(['run', '--sandbox', 'bubblewrap', '--workdir', 'overlay', '--keep', 'out', '--', 'sh', '-c', script], dir);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/kept 1 file \(6 bytes\); not copied: out\/link: a symbolic link \(neither followed nor copied\)/);
      expect(fs.readFileSync(path.join(dir, 'out/app.js'), 'utf8')).toBe('built\n');
      expect(fs.readdirSync(dir).sort()).toEqual(['out']);
    });
  });
});

describeWhen('a history inside the working directory', toolMissing('bwrap'), 'apt-get install bubblewrap', () => {
  describeBuilt('with --workdir overlay or ro (issue 23, finding 6, with the modes of point 2)', () => {
    test('is allowed, and a run that truncates it leaves every row', async () => {
      const db = ['--db', '.sandbox-perf/state.db'];
      const truncate = ['--', 'sh', '-c', ': > .sandbox-perf/state.db'];
      expect((await cli(['run', ...db, '--', 'true'], dir)).code).toBe(0);
      // rw on bubblewrap is refused before anything runs (the history would be the run's to truncate).
      expect((await cli(['run', ...db, '--sandbox', 'bubblewrap', ...truncate], dir)).code).toBe(2);
      for (const mode of ['overlay', 'ro']) {
        const result = await cli(['run', ...db, '--sandbox', 'bubblewrap', '--workdir', mode, ...truncate], dir);
        expect(result.stderr).not.toMatch(/Expected .* to be outside the working directory/);
      }
      expect(rowCount(path.join(dir, '.sandbox-perf/state.db'))).toBe(3);
    });
  });
});
