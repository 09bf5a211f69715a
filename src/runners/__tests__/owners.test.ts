/**
 * @exclusive its sweeps must be the ones that remove a dead owner's group: a file running beside it
 * that prepares a Docker or host backend sweeps dead owners' groups too, and could remove them first.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { describeWhen } from '../../../test/support/e2e';
import { toolMissing } from '../../../test/support/runners';
import { ownerState } from '../docker/containerOwner';
import { probeCgroupV1 } from '../host/cgroupV1';
import { ContainmentGroup, probeFreezer } from '../host/containmentGroup';
import { SandboxRoot } from '../host/sandboxRoot';
import { removeOrphans } from '../orphans';

// Issue 23, finding 7, reproduced before the fix: a `none` run in progress under
// `unshare --pid --fork` (its runner PID 30000 there, no such process on the host) was SIGKILLed
// 1.7 s into an 8 s `sleep` by a `gc` on the host, which judged its group `run-30000-c1` by the
// PID alone; a `gc` inside a PID namespace removed a live host runner's idle group the same way.
// Owners are now their PID, start time and PID namespace, and gone only when provably so.

const OWNER = path.join(__dirname, 'fixtures', 'groupOwner.js');
const SWEEPER = path.join(__dirname, 'fixtures', 'sweeper.js');
const freezer = probeFreezer();
const cgroup = probeCgroupV1();
const missing =
  process.getuid?.() !== 0
    ? 'not root (PID namespaces and cgroup v1 groups of other processes)'
    : freezer.root === null
      ? freezer.reason
      : cgroup.value === null
        ? cgroup.reason
        : toolMissing('unshare');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-owners-'));
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-owners-cwd-'));
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(cwd, { recursive: true, force: true });
});

/** The PID of a process that ran and exited on this host: no process has it now. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

interface Owned {
  pid: number;
  group: string;
  root: string;
  labels: Record<string, string>;
  /** Its PID namespace, as /proc/self/ns/pid names it. */
  namespace: string;
}

/**
 * The owner fixture in a PID namespace of its own, where its PID is `inner` (set through the
 * namespace's ns_last_pid) or 1 (`init`: it is the namespace's init).
 */
async function ownerInNamespace(inner: number | 'init'): Promise<{ child: ChildProcessByStdio<null, Readable, Readable>; owned: Owned }> {
  const node = `${JSON.stringify(process.execPath)} ${JSON.stringify(OWNER)} ${JSON.stringify(tmp)}`;
  const script = inner === 'init' ? `exec ${node}` : `echo ${inner - 1} > /proc/sys/kernel/ns_last_pid && ${node}; :`;
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', 'sh', '-c', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    child.once('exit', () => reject(new Error(`the owner exited first: ${stderr}`)));
  });
  return { child, owned: JSON.parse(line) as Owned };
}

/** SIGKILLs the owner's `unshare` (its namespace dies with it) and waits until no process of that namespace is left. */
async function kill(child: ChildProcessByStdio<null, Readable, Readable>, owned: Owned): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  const inNamespace = (pid: string): boolean => {
    try {
      return fs.readlinkSync(`/proc/${pid}/ns/pid`) === owned.namespace;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 200 && fs.readdirSync('/proc').some(inNamespace); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

const sweepGroups = () => removeOrphans({ cgroup: cgroup.value });

describeWhen('owners told apart', missing, 'run as root with cgroup v1 (freezer) and util-linux unshare', () => {
  test('groups judged by PID alone: a live owner whose PID is its own namespace’s keeps its group, its sandbox root and its containers; once it dies they go', async () => {
    const pid = deadPid();
    const { child, owned } = await ownerInNamespace(pid);
    try {
      // The same number, no process of it on this host: the old sweep took it for dead.
      expect(owned.pid).toBe(pid);
      await sweepGroups();
      SandboxRoot.create(cwd).remove();
      expect(fs.existsSync(owned.group)).toBe(true);
      expect(fs.existsSync(owned.root)).toBe(true);
      expect(ownerState(owned.labels)).toBe('alive');
    } finally {
      await kill(child, owned);
    }
    // Its namespace died with it: provably gone.
    expect(ownerState(owned.labels)).toBe('gone');
    const sweep = await sweepGroups();
    SandboxRoot.create(cwd).remove();
    expect(sweep.cgroupsRemoved).toContain(path.relative(freezer.root as string, owned.group));
    expect(fs.existsSync(owned.group)).toBe(false);
    expect(fs.existsSync(owned.root)).toBe(false);
  }, 60_000);

  test('a reused PID: a dead owner that was PID 1 of its namespace (a PID alive here) is gone, and its group is removed', async () => {
    const { child, owned } = await ownerInNamespace('init');
    expect(owned.pid).toBe(1);
    await kill(child, owned);
    expect(ownerState(owned.labels)).toBe('gone');
    const sweep = await sweepGroups();
    expect(sweep.cgroupsRemoved).toContain(path.relative(freezer.root as string, owned.group));
    expect(fs.existsSync(owned.group)).toBe(false);
  }, 60_000);

  test('a sweeper in another PID namespace leaves a live owner’s idle group alone (it cannot see the owner)', async () => {
    const group = new ContainmentGroup({ freezer: freezer.root, pids: null });
    try {
      const run = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, SWEEPER], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(0);
      const sweep = JSON.parse(run.stdout) as { cgroupsRemoved: string[]; cgroupsKept: number };
      expect(sweep.cgroupsRemoved).not.toContain(path.relative(freezer.root as string, group.dir));
      expect(fs.existsSync(group.dir)).toBe(true);
    } finally {
      await group.remove();
    }
  }, 60_000);
});
