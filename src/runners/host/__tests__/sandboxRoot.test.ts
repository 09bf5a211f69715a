import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gvisorUser } from '../gvisor';
import { currentOwner, ownerTag } from '../../owner';
import { SandboxRoot } from '../sandboxRoot';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-root-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SandboxRoot', () => {
  test('its /etc names only root and nobody, and holds no secret of the host', () => {
    const root = SandboxRoot.create(dir);
    try {
      expect(fs.readFileSync(path.join(root.etc, 'passwd'), 'utf8')).toBe(
        'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n',
      );
      for (const secret of ['shadow', 'gshadow', 'sudoers', 'ssl/private', 'ssh', 'passwd-', 'machine-id']) {
        expect([secret, fs.existsSync(path.join(root.etc, secret))]).toEqual([secret, false]);
      }
      for (const { name, link } of root.systemDirs) {
        const made = fs.lstatSync(path.join(root.rootfs, name));
        expect([name, made.isSymbolicLink() ? fs.readlinkSync(path.join(root.rootfs, name)) : null]).toEqual([name, link]);
      }
    } finally {
      root.remove();
    }
    expect(fs.existsSync(root.dir)).toBe(false);
  });

  test('never under the working directory: with cwd /tmp it is built elsewhere', () => {
    const root = SandboxRoot.create('/tmp');
    try {
      expect(root.dir.startsWith('/tmp/')).toBe(false);
    } finally {
      root.remove();
    }
  });

  // A hostile trial of 2026-12-07: with TMPDIR reaching the working directory by another name, the
  // skeleton (unshare's fstab in it, which the host mounts as root) was built where a run could
  // rewrite it, and the next run bound a root-only host directory writable.
  test('never under the working directory by another name: TMPDIR a symbolic link into it, or the directory it is bound at', () => {
    const work = fs.mkdtempSync(path.join(dir, 'work-'));
    fs.mkdirSync(path.join(work, 'sub'));
    const link = path.join(dir, `tmp-link-${process.pid}`);
    fs.symlinkSync(path.join(work, 'sub'), link);
    const saved = process.env.TMPDIR;
    const builtIn = (tmpdir: string, cwd: string): string => {
      process.env.TMPDIR = tmpdir;
      const root = SandboxRoot.create(cwd);
      root.remove();
      return root.dir;
    };
    try {
      expect(fs.realpathSync(path.dirname(builtIn(link, work)))).not.toBe(fs.realpathSync(path.join(work, 'sub')));
      const bound = fs.mkdtempSync(path.join(dir, 'bound-'));
      if (process.getuid?.() !== 0) return;
      spawnSync('mount', ['--bind', work, bound]);
      try {
        // The working directory is `bound`; TMPDIR is `work`, the same directory by device and inode.
        expect(path.dirname(builtIn(work, bound))).not.toBe(work);
      } finally {
        spawnSync('umount', [bound]);
      }
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  test("a skeleton left by a dead process is removed by the next one, a live process's is not, nor one named by a PID alone", () => {
    const dead = spawnSync('true').pid;
    const left = path.join(os.tmpdir(), `sandbox-perf-root-${ownerTag({ ...currentOwner(), pid: dead })}-stale1`);
    const live = path.join(os.tmpdir(), `sandbox-perf-root-${ownerTag()}-live01`);
    // From before the owner tag: a PID alone cannot prove its owner gone.
    const legacy = path.join(os.tmpdir(), `sandbox-perf-root-${dead}-stale2`);
    for (const skeleton of [left, live, legacy]) fs.mkdirSync(skeleton);
    SandboxRoot.create(dir).remove();
    expect(fs.existsSync(left)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(legacy)).toBe(true);
    fs.rmdirSync(live);
    fs.rmdirSync(legacy);
  });
});

describe('gvisorUser', () => {
  test('the working directory owner when not root, else 65534', () => {
    expect(gvisorUser(dir)).toEqual(
      process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : { uid: process.getuid?.(), gid: process.getgid?.() },
    );
    if (process.getuid?.() !== 0) return;
    const owned = path.join(dir, 'owned');
    fs.mkdirSync(owned);
    fs.chownSync(owned, 1000, 1001);
    expect(gvisorUser(owned)).toEqual({ uid: 1000, gid: 1001 });
  });
});
