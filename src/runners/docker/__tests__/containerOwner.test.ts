import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  currentOwner,
  OWNER_BOOT_LABEL,
  OWNER_HOST_LABEL,
  OWNER_PID_LABEL,
  OWNER_START_LABEL,
  ownerLabels,
  ownerState,
  processAlive,
  processStartTime,
  type ContainerOwner,
} from '../containerOwner';

const here: ContainerOwner = { pid: 1000, start: '500', bootId: 'boot-a', host: 'runner-1' };
const labels = (owner: Partial<ContainerOwner>): Record<string, string> => ownerLabels({ ...here, ...owner });

describe('ownerState (decision from labels; liveness injected)', () => {
  const alive = () => true;
  const dead = () => false;

  test('no owner labels (older sandbox-perf, or made by hand): unknown, never removed', () => {
    expect(ownerState(undefined, here, dead)).toBe('unknown');
    expect(ownerState({ 'sandbox-perf': 'x' }, here, dead)).toBe('unknown');
    expect(ownerState({ [OWNER_PID_LABEL]: '12abc' }, here, dead)).toBe('unknown');
    expect(ownerState({ [OWNER_PID_LABEL]: '0' }, here, dead)).toBe('unknown');
  });

  test('another host name (another machine or container sharing the engine): foreign, its PIDs are not probed', () => {
    const probe = jest.fn(() => false);
    expect(ownerState(labels({ pid: 7, host: 'runner-2' }), here, probe)).toBe('foreign');
    expect(probe).not.toHaveBeenCalled();
  });

  test('another boot id on this host: the machine rebooted since, the owner is gone whatever its PID', () => {
    expect(ownerState(labels({ pid: 7, bootId: 'boot-old' }), here, alive)).toBe('gone');
  });

  test('same boot: the PID and start time decide', () => {
    expect(ownerState(labels({ pid: 7, start: '9' }), here, alive)).toBe('alive');
    expect(ownerState(labels({ pid: 7, start: '9' }), here, dead)).toBe('gone');
  });

  test('this very process is alive without probing; a recycled PID of ours (other start time) is probed', () => {
    const probe = jest.fn(() => false);
    expect(ownerState(labels({}), here, probe)).toBe('alive');
    expect(probe).not.toHaveBeenCalled();
    expect(ownerState(labels({ start: '499' }), here, probe)).toBe('gone');
    expect(probe).toHaveBeenCalledWith(1000, '499');
  });

  test('an unreadable boot id or start time on either side falls back to the PID alone', () => {
    const probe = jest.fn(() => true);
    expect(ownerState(labels({ pid: 7, bootId: null, start: null }), here, probe)).toBe('alive');
    expect(probe).toHaveBeenCalledWith(7, null);
  });
});

describe('this process and real processes', () => {
  test('currentOwner reads the PID, start time, boot id and host name of this process', () => {
    const owner = currentOwner();
    expect(owner).toEqual({
      pid: process.pid,
      start: expect.stringMatching(/^\d+$/) as string,
      bootId: fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      host: os.hostname(),
    });
    expect(ownerLabels()).toEqual({
      [OWNER_PID_LABEL]: String(process.pid),
      [OWNER_START_LABEL]: owner.start,
      [OWNER_BOOT_LABEL]: owner.bootId,
      [OWNER_HOST_LABEL]: owner.host,
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
