import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  OWNER_BOOT_LABEL,
  OWNER_HOST_LABEL,
  OWNER_PID_LABEL,
  OWNER_PIDNS_LABEL,
  OWNER_START_LABEL,
  ownerLabels,
  ownerState,
} from '../containerOwner';
import { currentOwner, processAlive, processStartTime, probeOwner, type ContainerOwner, type Liveness } from '../../owner';

const here: ContainerOwner = { pid: 1000, start: '500', bootId: 'boot-a', host: 'runner-1', pidNamespace: '4026531836' };
const labels = (owner: Partial<ContainerOwner>): Record<string, string> => ownerLabels({ ...here, ...owner });

describe('ownerState (decision from labels; liveness injected)', () => {
  const alive = (): Liveness => 'alive';
  const dead = (): Liveness => 'gone';

  test('no owner labels (made by hand): unknown, never removed', () => {
    expect(ownerState(undefined, here, dead)).toBe('unknown');
    expect(ownerState({ 'sandbox-perf': 'x' }, here, dead)).toBe('unknown');
    expect(ownerState({ [OWNER_PID_LABEL]: '12abc' }, here, dead)).toBe('unknown');
    expect(ownerState({ [OWNER_PID_LABEL]: '0' }, here, dead)).toBe('unknown');
  });

  test('no PID namespace among the labels (a sandbox-perf before it): unknown, its PID alone proves nothing', () => {
    const old = Object.fromEntries(Object.entries(labels({ pid: 7 })).filter(([name]) => name !== OWNER_PIDNS_LABEL));
    expect(ownerState(old, here, dead)).toBe('unknown');
    expect(ownerState(labels({ pid: 7, pidNamespace: null }), here, dead)).toBe('unknown');
  });

  test('another host name (another machine or container sharing the engine): foreign, its PIDs are not probed', () => {
    const probe = jest.fn(dead);
    expect(ownerState(labels({ pid: 7, host: 'runner-2' }), here, probe)).toBe('foreign');
    expect(probe).not.toHaveBeenCalled();
  });

  test('another boot id on this host: the machine rebooted since, the owner is gone whatever its PID', () => {
    expect(ownerState(labels({ pid: 7, bootId: 'boot-old' }), here, alive)).toBe('gone');
  });

  test('same boot: the probe decides from the PID, start time and PID namespace', () => {
    const probe = jest.fn((): Liveness => 'foreign');
    expect(ownerState(labels({ pid: 7, start: '9', pidNamespace: '4026532999' }), here, probe)).toBe('foreign');
    expect(probe).toHaveBeenCalledWith({ pid: 7, start: '9', pidNamespace: '4026532999' }, here);
    expect(ownerState(labels({ pid: 7, start: '9' }), here, alive)).toBe('alive');
    expect(ownerState(labels({ pid: 7, start: '9' }), here, dead)).toBe('gone');
  });

  test('an unreadable boot id or start time on either side falls back to what is known', () => {
    const probe = jest.fn(alive);
    expect(ownerState(labels({ pid: 7, bootId: null, start: null }), here, probe)).toBe('alive');
    expect(probe).toHaveBeenCalledWith({ pid: 7, start: null, pidNamespace: here.pidNamespace }, here);
  });
});

describe('probeOwner in this PID namespace', () => {
  test('this very process is alive; a recycled PID of ours (another start time) is gone', () => {
    const me = currentOwner();
    expect(probeOwner({ pid: me.pid, start: me.start, pidNamespace: me.pidNamespace as string })).toBe('alive');
    expect(probeOwner({ pid: me.pid, start: '1', pidNamespace: me.pidNamespace as string })).toBe('gone');
  });

  test('another PID namespace that no process of this host is in: gone when this process sees every process', () => {
    const me = currentOwner();
    // The root namespace's inode is a constant of the kernel (PROC_PID_INIT_INO): its processes see all.
    const inRoot = me.pidNamespace === String(0xeffffffc);
    expect(probeOwner({ pid: me.pid, start: me.start, pidNamespace: '1' })).toBe(inRoot ? 'gone' : 'foreign');
  });
});

describe('this process and real processes', () => {
  test('currentOwner reads the PID, start time, boot id, host name and PID namespace of this process', () => {
    const owner = currentOwner();
    expect(owner).toEqual({
      pid: process.pid,
      start: expect.stringMatching(/^\d+$/) as string,
      bootId: fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      host: os.hostname(),
      pidNamespace: /^pid:\[(\d+)\]$/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[1],
    });
    expect(ownerLabels()).toEqual({
      [OWNER_PID_LABEL]: String(process.pid),
      [OWNER_START_LABEL]: owner.start,
      [OWNER_BOOT_LABEL]: owner.bootId,
      [OWNER_HOST_LABEL]: owner.host,
      [OWNER_PIDNS_LABEL]: owner.pidNamespace,
    });
    expect(ownerState(ownerLabels())).toBe('alive');
  });

  test('processStartTime survives a command name with spaces and parentheses', async () => {
    // The kernel's comm is the executable's file name: a link named like this puts ") b (" in /proc/<pid>/stat.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-owner-'));
    const link = path.join(dir, 'a) b (c');
    fs.symlinkSync(fs.realpathSync('/bin/sleep'), link);
    const child = spawn(link, ['30'], { stdio: 'ignore' });
    const pid = child.pid ?? 0;
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const start = processStartTime(pid);
      expect(start).toMatch(/^\d+$/);
      expect(Number(start)).toBeGreaterThanOrEqual(Number(currentOwner().start));
      expect(processAlive(pid, start)).toBe(true);
      expect(processAlive(pid, String(Number(start) - 1))).toBe(false);
      expect(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).toContain('(a) b (c)');
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a process that exited is gone; its labels make its containers orphans', () => {
    const child = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
    const pid = Number(child.stdout.trim());
    expect(processAlive(pid, null)).toBe(false);
    expect(ownerState(ownerLabels({ ...currentOwner(), pid, start: '1' }))).toBe('gone');
  });
});
