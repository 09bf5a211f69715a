import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveSandboxOptions } from '../../options';
import { SandboxRoot } from '../sandboxRoot';
import { sandboxFstab } from '../unshare';

// Regression: a checkout under /tmp (CI clones there) ran every unshare command as
// "failed to execute …/native/bin/sandbox-perf-launcher: No such file or directory", because the
// launcher was left unbound when it lay under the sandbox's tmpfs /tmp.
describe('the unshare sandbox root binds the launcher wherever it lies', () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-fstab-'));
  const root = SandboxRoot.create(cwd);
  afterAll(() => {
    root.remove();
    fs.rmSync(cwd, { recursive: true, force: true });
  });
  const lines = (launcher: string): (string | undefined)[][] =>
    sandboxFstab(root, resolveSandboxOptions({ cwd }), [launcher])
      .trim()
      .split('\n')
      .map((line) => line.split(' '));

  test('a launcher under /tmp: its folder, read-only, on a mount point made in the tmpfs, after the working directory', () => {
    const all = lines('/tmp/checkout/native/bin/sandbox-perf-launcher');
    const last = all[all.length - 1] ?? [];
    expect(last.slice(0, 4)).toEqual([
      '/tmp/checkout/native/bin',
      path.join(root.rootfs, '/tmp/checkout/native/bin'),
      'none',
      'bind,ro,X-mount.mkdir',
    ]);
    expect(all[all.length - 2]?.[0]).toBe(cwd);
  });

  test('a launcher inside the working directory: the file itself, read-only, bound over the writable working directory', () => {
    const launcher = path.join(cwd, 'native/bin/sandbox-perf-launcher');
    const all = lines(launcher);
    expect((all[all.length - 1] ?? []).slice(0, 4)).toEqual([launcher, path.join(root.rootfs, launcher), 'none', 'bind,ro']);
  });

  test('a launcher elsewhere: the file, read-only, at its own path', () => {
    const all = lines('/opt/sp/native/bin/sandbox-perf-launcher');
    expect((all[all.length - 1] ?? []).slice(0, 4)).toEqual([
      '/opt/sp/native/bin/sandbox-perf-launcher',
      path.join(root.rootfs, '/opt/sp/native/bin/sandbox-perf-launcher'),
      'none',
      'bind,ro',
    ]);
  });
});
