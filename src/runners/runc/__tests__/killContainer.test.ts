/**
 * killContainer: attached crun's kill (a pool's timeout, `stop()` before `keep` copies) SIGKILLs the
 * members of the container's group from the host. Over a tree laid out as the kernel's: the
 * group's `cgroup.procs` lists a real process of this test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../../../test/support/tempDir';
import { killContainer } from '../runcCli';

const ID = 'runc-1.2.3-0123abcd';
const children: ChildProcess[] = [];
const roots: string[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

function treeRoot(name: string): string {
  const root = tempDir(name);
  roots.push(root);
  return root;
}

/** A sleeping process listed in `<root>/<hierarchy>/sandbox-perf/<ID>/cgroup.procs`; resolves with its exit signal. */
function memberAt(root: string, hierarchy: string): Promise<NodeJS.Signals | null> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  const group = path.join(root, hierarchy, 'sandbox-perf', ID);
  fs.mkdirSync(group, { recursive: true });
  fs.writeFileSync(path.join(group, 'cgroup.procs'), `${String(child.pid)}\n`);
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

test('cgroup v1: the members of its group in the first hierarchy holding it are SIGKILLed', async () => {
  const root = treeRoot('kill-v1');
  const exited = memberAt(root, 'pids');
  fs.mkdirSync(path.join(root, 'memory'));
  killContainer(ID, root);
  await expect(exited).resolves.toBe('SIGKILL');
});

test('a cgroup2-only host, the group right under the root: its members are SIGKILLed too', async () => {
  const root = treeRoot('kill-v2');
  const exited = memberAt(root, '');
  fs.mkdirSync(path.join(root, 'system.slice'));
  // Before: only the root's subdirectories were looked at, so nothing was killed (crun's kill a no-op there).
  killContainer(ID, root);
  await expect(exited).resolves.toBe('SIGKILL');
});

test('no group anywhere: nothing is killed, nothing thrown', () => {
  const root = treeRoot('kill-none');
  fs.mkdirSync(path.join(root, 'pids'));
  expect(() => killContainer(ID, root)).not.toThrow();
});
