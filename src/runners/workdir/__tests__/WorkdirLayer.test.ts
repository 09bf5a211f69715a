import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { OWNER_PID_LABEL, OWNER_START_LABEL } from '../../docker/containerOwner';
import { mountsUnder } from '../mounts';
import { removeOrphanLayers, WorkdirLayer } from '../WorkdirLayer';

let base: string;
let cwd: string;
beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-test-'));
  cwd = path.join(base, 'cwd');
  fs.mkdirSync(path.join(cwd, 'src'), { recursive: true, mode: 0o751 });
  fs.chmodSync(cwd, 0o751);
  fs.writeFileSync(path.join(cwd, 'src/keep-me.js'), 'the caller’s file');
});
afterEach(() => {
  for (const point of mountsUnder(base)) spawnSync('umount', ['--lazy', point]);
  fs.rmSync(base, { recursive: true, force: true });
});

/** Rewrites a layer's owner file so that it names a process that has exited. */
function orphan(layer: WorkdirLayer): void {
  const child = spawnSync('true');
  const file = path.join(layer.dir, 'owner.json');
  const labels = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  fs.writeFileSync(file, JSON.stringify({ ...labels, [OWNER_PID_LABEL]: String(child.pid), [OWNER_START_LABEL]: '1' }));
}

describe('a layer', () => {
  test('has an upper directory owned and permissioned like the working directory, and options naming only its own paths', () => {
    const layer = WorkdirLayer.create(cwd, base);
    const upper = fs.statSync(layer.upper);
    expect(upper.mode & 0o7777).toBe(0o751);
    expect(fs.readlinkSync(layer.lower)).toBe(cwd);
    expect(layer.mountOptions).toBe(
      `lowerdir=${layer.lower},upperdir=${layer.upper},workdir=${layer.work},redirect_dir=off,metacopy=off,index=off`,
    );
  });

  test('a copy (for gVisor) holds the working directory, links kept as links', async () => {
    fs.symlinkSync('src/keep-me.js', path.join(cwd, 'link'));
    const layer = await WorkdirLayer.copy(cwd, base);
    expect(fs.readFileSync(path.join(layer.copyDir, 'src/keep-me.js'), 'utf8')).toBe('the caller’s file');
    expect(fs.readlinkSync(path.join(layer.copyDir, 'link'))).toBe('src/keep-me.js');
    await layer.remove();
    expect(fs.existsSync(layer.dir)).toBe(false);
  });

  test("the orphan sweep leaves a live owner's layer alone", async () => {
    const layer = WorkdirLayer.create(cwd, base);
    expect((await removeOrphanLayers(base)).removed).toEqual([]);
    expect(fs.existsSync(layer.upper)).toBe(true);
  });
});

describeWhen(
  "the orphan sweep of a dead owner's layer",
  process.getuid?.() === 0 ? false : 'not root (mount --bind)',
  'run the tests as root',
  () => {
    test('detaches what is mounted under it first, and never deletes through the mount (the working directory stays whole)', async () => {
      const layer = WorkdirLayer.create(cwd, base);
      const mountPoint = path.join(layer.dir, 'mnt');
      fs.mkdirSync(mountPoint);
      // docker-warm's shared mount point: a bind of the working directory itself.
      expect(spawnSync('mount', ['--bind', cwd, mountPoint]).status).toBe(0);
      orphan(layer);
      const sweep = await removeOrphanLayers(base);
      expect(sweep).toEqual({ removed: [layer.dir], failures: [] });
      expect(mountsUnder(base)).toEqual([]);
      expect(fs.readFileSync(path.join(cwd, 'src/keep-me.js'), 'utf8')).toBe('the caller’s file');
    });
  },
);
