import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import { toolMissing } from '../../../test/support/runners';
import type { CommandLine } from '../../runners/host/commandLine';
import { spawnerStatus } from '../../runners/host/Spawner';

/*
 * `run --print-command` through the built CLI (dist/cli/main.js; `npm test` builds first): the line
 * it prints is the one a run executes, and it runs as printed after the CLI has exited (the
 * prepared root is kept for it), which is what hyperfine -N gets.
 */
const CLI = path.resolve(__dirname, '../../../dist/cli/main.js');
const built = fs.existsSync(CLI) ? false : `${CLI} is missing`;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-print-command-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const BACKENDS = [
  { name: 'none', missing: built },
  { name: 'bubblewrap', missing: built || toolMissing('bwrap') },
  { name: 'unshare', missing: built || toolMissing('unshare') },
] as const;

for (const { name, missing } of BACKENDS) {
  describeWhen(`run --print-command on ${name}`, missing, 'npm run build', () => {
    test('prints the line a run executes, and that line runs as printed once the CLI has exited', async () => {
      const { code, stdout } = await cli(['run', '--sandbox', name, '--print-command', '--json', '--', 'sh', '-c', 'echo "hi from $PWD"']);
      expect(code).toBe(0);
      const line = JSON.parse(stdout) as CommandLine;
      try {
        expect(line).toMatchObject({ backend: name, cwd: dir, timer: spawnerStatus().path === null ? 'node' : 'spawner' });
        expect(line.argv.slice(-3)).toEqual(['sh', '-c', 'echo "hi from $PWD"']);
        if (name !== 'none') expect(line.prepared).toMatch(/sandbox-perf-kept-/);
        // What hyperfine -N would run: the hyperfine form, in the printed environment and directory.
        const ran = spawnSync(line.hyperfine[0] as string, line.hyperfine.slice(1), { cwd: line.cwd, env: line.env, encoding: 'utf8' });
        expect(ran.stdout).toBe(`hi from ${dir}\n`);
        expect(ran.status).toBe(0);
      } finally {
        if (line.prepared !== null) fs.rmSync(line.prepared, { recursive: true, force: true });
      }
    }, 120_000);

    test('the text form ends with the hyperfine invocation in the same environment and directory', async () => {
      const { code, stdout } = await cli(['run', '--sandbox', name, '--print-command', '--', 'true']);
      expect(code).toBe(0);
      const kept = /kept for this line: (\S+)/.exec(stdout)?.[1];
      if (kept !== undefined) fs.rmSync(kept, { recursive: true, force: true });
      expect(stdout.trimEnd().split('\n').pop()).toMatch(
        new RegExp(`^cd ${dir} && env -i PATH=\\S+ HOME=/tmp LANG=C.UTF-8 PWD=${dir} hyperfine -N ('.*)?true'?$`),
      );
    }, 120_000);
  });
}

describeWhen('run --print-command on a Docker backend', built, 'npm run build', () => {
  test('is refused: no host command line to print', async () => {
    const { code, stderr } = await cli(['run', '--sandbox', 'docker', '--print-command', '--', 'true']);
    expect(code).toBe(2);
    expect(stderr).toContain('--print-command: docker has no command line to print');
  });
});
