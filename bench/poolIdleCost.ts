import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { SandboxPool } from '../src/runners/pool/SandboxPool';
import { summarize } from './harness';

/** How long the idle sandboxes' CPU is watched. */
export const IDLE_WINDOW_MS = 3000;

/** PSS and CPU ticks of a container's processes: its init's parent is the shim; everything below the shim. */
function containerProcesses(id: string): number[] {
  const pid = Number(execFileSync('docker', ['inspect', '--format', '{{.State.Pid}}', id], { encoding: 'utf8' }).trim());
  const shim = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Exited meanwhile.
    }
  }
  const all: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      all.push(c);
      walk(c);
    }
  };
  walk(shim);
  return all;
}

function pssBytes(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Exited meanwhile.
    }
  }
  return kb * 1024;
}

function cpuTicks(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = (fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Exited meanwhile.
    }
  }
  return ticks;
}

/** Idle memory (PSS, median of 2 sandboxes) and CPU of a pool's idle sandboxes over IDLE_WINDOW_MS. */
export async function idleCost(name: 'docker-pool' | 'gvisor-pool', dir: string): Promise<{ pssBytes: number; cpuPercent: number }> {
  const pool = new SandboxPool(name, { cwd: dir, pool: { size: 2 } });
  await pool.prepare();
  try {
    const ids = execFileSync('docker', ['ps', '-q', '--no-trunc', '--filter', `label=sandbox-perf.pool=${name}`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    const mine = ids.filter(
      (id) => execFileSync('docker', ['inspect', '--format', '{{.Config.WorkingDir}}', id], { encoding: 'utf8' }).trim() === dir,
    );
    const pids = mine.map(containerProcesses);
    const before = pids.map(cpuTicks);
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const ticksPerSecond = 100;
    const cpu = pids.map((p, i) => ((cpuTicks(p) - (before[i] as number)) / ticksPerSecond / (IDLE_WINDOW_MS / 1000)) * 100);
    return { pssBytes: summarize(pids.map(pssBytes)).median, cpuPercent: summarize(cpu).median };
  } finally {
    await pool.teardown();
  }
}
