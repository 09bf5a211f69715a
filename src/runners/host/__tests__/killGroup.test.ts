import fs from 'node:fs';
import path from 'node:path';
import { killGroup } from '../containmentGroup';
import { tempDir } from '../../../../test/support/tempDir';

/*
 * killGroup freezes a run's group, kills its members and thaws it. predict spares its counter,
 * which is still unregistering its tracepoints in the kernel when the command ended: with nothing
 * else in the group there is nothing to kill and no freeze to wait on. A plain directory stands
 * for the group here: its freezer.state shows whether the freeze was written.
 */
test('a group holding only the spared process is neither frozen nor killed', () => {
  const dir = tempDir('kill-group');
  try {
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), `${process.pid}\n`);
    fs.writeFileSync(path.join(dir, 'freezer.state'), 'UNTOUCHED');
    killGroup(dir, process.pid);
    expect(fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8')).toBe('UNTOUCHED');
    // Without the spare, the same group is frozen and thawed (its member would be killed: an empty list here).
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
    killGroup(dir);
    expect(fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8')).toBe('THAWED');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
