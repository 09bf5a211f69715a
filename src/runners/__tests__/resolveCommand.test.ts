import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createBackend } from '../createBackend';
import { resolveCommand } from '../resolveCommand';
import { tempDir } from '../../../test/support/tempDir';

/*
 * How resolveCommand hashes the program, on the real `none` backend with a PATH of chosen tools:
 * with the sandbox's own sha256sum and wc (nothing streamed), and without them (the bytes streamed
 * out through cat and hashed here). The e2e file checks the same on every real sandbox and image.
 */
const program = '#!/bin/sh\necho resolved\n'.repeat(1000);
const programHash = createHash('sha256').update(program).digest('hex');
const hostTool = (name: string): string => execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();

/** A directory holding `prog` and links to the host's `tools`, the run's whole PATH. */
function pathWith(tools: string[], fake: Record<string, string> = {}): { cwd: string; bin: string } {
  const cwd = tempDir('resolve');
  const bin = path.join(cwd, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'prog'), program, { mode: 0o755 });
  for (const tool of tools) fs.symlinkSync(hostTool(tool), path.join(bin, tool));
  for (const [name, script] of Object.entries(fake)) fs.writeFileSync(path.join(bin, name), script, { mode: 0o755 });
  fs.chmodSync(cwd, 0o755);
  return { cwd, bin };
}

async function resolveOnNone(cwd: string, bin: string): Promise<Awaited<ReturnType<typeof resolveCommand>>> {
  const options = { cwd, env: { PATH: bin } };
  const backend = createBackend('none', options);
  await backend.prepare();
  try {
    return await resolveCommand(backend, 'prog', options);
  } finally {
    await backend.teardown();
  }
}

test("hashed by the sandbox's own sha256sum and wc: resolved without cat, so nothing was streamed", async () => {
  const { cwd, bin } = pathWith(['sha256sum', 'wc']);
  expect(await resolveOnNone(cwd, bin)).toEqual({
    backend: 'none',
    requested: 'prog',
    program: path.join(bin, 'prog'),
    sha256: programHash,
    bytes: program.length,
    root: { kind: 'host' },
    error: null,
  });
});

test('without sha256sum in the sandbox, the bytes stream out through cat and are hashed here', async () => {
  const { cwd, bin } = pathWith(['cat', 'wc']);
  expect(await resolveOnNone(cwd, bin)).toMatchObject({
    program: path.join(bin, 'prog'),
    sha256: programHash,
    bytes: program.length,
    error: null,
  });
});

test('a sha256sum that prints something else is an error naming what it printed, not a hash', async () => {
  const { cwd, bin } = pathWith(['wc', 'cat'], { sha256sum: '#!/bin/sh\necho "not-a-hash  -"\n' });
  expect(await resolveOnNone(cwd, bin)).toMatchObject({
    program: null,
    sha256: null,
    bytes: null,
    error: `the sandbox's sha256sum printed "sha256 not-a-hash ${program.length}" for prog, expected "sha256 <64 hex digits> <size>"`,
  });
});

test('a name that is also a shell builtin resolves to the program its exec runs, not to the working directory', async () => {
  // `command -v true` answers the builtin `true`, which read as $PWD/true: a file of that name there was hashed instead.
  const { cwd, bin } = pathWith(['sha256sum', 'wc']);
  // The program, not `command -v true` (the builtin's name): the bug under test.
  const hostTrue = ['/usr/bin/true', '/bin/true'].find((p) => fs.existsSync(p)) as string;
  fs.symlinkSync(hostTrue, path.join(bin, 'true'));
  fs.writeFileSync(path.join(cwd, 'true'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const options = { cwd, env: { PATH: bin } };
  const backend = createBackend('none', options);
  await backend.prepare();
  try {
    const truth = fs.readFileSync(hostTrue);
    expect(await resolveCommand(backend, 'true', options)).toMatchObject({
      program: path.join(bin, 'true'),
      sha256: createHash('sha256').update(truth).digest('hex'),
      bytes: truth.length,
      error: null,
    });
  } finally {
    await backend.teardown();
  }
});
