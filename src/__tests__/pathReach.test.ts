import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalPath, insideByAnyName, writesOver } from '../pathReach';

/** Symbolic links need no privilege: the mount cases are in historyMountedInReach.e2e and sandboxRoot tests (as root). */
describe('pathReach: by any name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-reach-unit-'));
  const work = path.join(dir, 'work');
  const home = path.join(dir, 'home');
  fs.mkdirSync(path.join(work, 'sub'), { recursive: true });
  fs.mkdirSync(home);
  fs.writeFileSync(path.join(home, 'state.db'), '');
  fs.symlinkSync(path.join(work, 'sub'), path.join(dir, 'into-work'));
  fs.symlinkSync(home, path.join(work, 'to-home'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('insideByAnyName: a path through a symbolic link into the directory is inside; a sibling is not', () => {
    expect(insideByAnyName(path.join(dir, 'into-work'), work)).toBe(true);
    expect(insideByAnyName(path.join(dir, 'into-work', 'not-yet', 'file'), work)).toBe(true);
    expect(insideByAnyName(home, work)).toBe(false);
    expect(insideByAnyName(`${work}-other`, work)).toBe(false);
  });

  test('writesOver: a place that names the file, a companion not created yet, or a folder above them, by a link', () => {
    const history = path.join(home, 'state.db');
    expect(writesOver(path.join(work, 'to-home', 'state.db'), history)).toBe(true);
    expect(writesOver(path.join(work, 'to-home', 'state.db-wal'), `${history}-wal`)).toBe(true);
    expect(writesOver(path.join(work, 'to-home'), `${history}-shm`)).toBe(true);
    expect(writesOver(path.join(work, 'to-home', 'other'), history)).toBe(false);
    expect(writesOver(path.join(work, 'sub'), history)).toBe(false);
    expect(canonicalPath(path.join(work, 'to-home', 'x', 'y'))).toBe(path.join(fs.realpathSync(home), 'x', 'y'));
  });
});
