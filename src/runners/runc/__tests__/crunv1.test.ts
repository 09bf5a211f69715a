/**
 * native/crunv1.c, the mount namespace crun runs in on a hybrid cgroup host. crun stays attached
 * to each container for its whole life (attachedContainer.ts), so that namespace lives as long as
 * a pooled sandbox: it must follow the host's unmounts (slave propagation), not keep a private
 * copy of every mount the host had when the sandbox started, pinning file systems the host has let go.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { tempDir } from '../../../../test/support/tempDir';

const CRUNV1 = path.resolve(__dirname, '..', '..', '..', '..', 'native', 'bin', 'sandbox-perf-crunv1');
const missing = process.getuid?.() !== 0 ? 'mounting needs root' : !fs.existsSync(CRUNV1) ? `${CRUNV1} is not built` : false;

/** Polls `check` every 10 ms for up to 5 s. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describeWhen('sandbox-perf-crunv1', missing, 'node native/build.js, as root', () => {
  test('the host unmounting a file system reaches the namespace of a crun that is still running (no pinned copy)', async () => {
    // A shared parent (as / is on a systemd host; this host's may be private), and a file system under it.
    const parent = tempDir('crunv1');
    const dir = path.join(parent, 'inner');
    expect(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', parent]).status).toBe(0);
    expect(spawnSync('mount', ['--make-shared', parent]).status).toBe(0);
    fs.mkdirSync(dir);
    expect(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', dir]).status).toBe(0);
    let unmounted = false;
    const child = spawn(CRUNV1, ['sleep', '30'], { stdio: 'ignore' });
    const mountinfo = (): string => fs.readFileSync(`/proc/${String(child.pid)}/mountinfo`, 'utf8');
    try {
      await until(() => fs.readFileSync(`/proc/${String(child.pid)}/comm`, 'utf8').trim() === 'sleep');
      expect(mountinfo()).toContain(` ${dir} `);
      if (fs.existsSync('/sys/fs/cgroup/unified/cgroup.controllers')) {
        // crun's view lacks the cgroup2 tree; the host keeps it.
        expect(mountinfo()).not.toContain(' /sys/fs/cgroup/unified ');
        expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toContain(' /sys/fs/cgroup/unified ');
      }
      expect(spawnSync('umount', [dir]).status).toBe(0);
      unmounted = true;
      // Before (MS_PRIVATE): the tmpfs stayed mounted in crun's namespace until the container ended.
      expect(mountinfo()).not.toContain(` ${dir} `);
    } finally {
      child.kill('SIGKILL');
      if (!unmounted) spawnSync('umount', [dir]);
      spawnSync('umount', [parent]);
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  test('without a program it says how it is used and exits 125', () => {
    const run = spawnSync(CRUNV1, [], { encoding: 'utf8' });
    expect(run.status).toBe(125);
    expect(run.stderr).toBe('usage: sandbox-perf-crunv1 PROGRAM [ARGS...]\n');
  });
});
