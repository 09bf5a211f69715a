import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { SandboxPerfMonitor } from '../src/sandbox/SandboxPerfMonitor';
import { StateDatabase } from '../src/state/StateDatabase';

/*
 * A locked history never stalls the caller: another connection holds the write lock (BEGIN
 * IMMEDIATE) for 2 s while the caller records 50 runs every 5 ms; the caller's maximum event-loop
 * delay in that window is the figure (the persistence issue's bound: 20 ms). A caller blocked by
 * the lock would see the lock's whole 2 s. The unit test (faults.locking) asserts that separation
 * only; the 20 ms bound is a speed and lives here. Best of three windows: a window can catch a
 * pause that is not ours (a collection of the heap, another process's time slice).
 */

const LOCK_MS = 2000;
const WINDOWS = 3;

function record(monitor: SandboxPerfMonitor, n: number, tag: string): void {
  for (let i = 0; i < n; i++) {
    monitor.start(`${tag}-${i}`);
    monitor.stop(`${tag}-${i}`, { outcome: 'success' });
  }
}

async function window(file: string, monitor: SandboxPerfMonitor, tag: string): Promise<number> {
  const other = new Database(file);
  other.exec('BEGIN IMMEDIATE');
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let ticks = 0;
  const tick = setInterval(() => {
    record(monitor, 50, `${tag}-${ticks++}`);
  }, 5);
  await new Promise((resolve) => setTimeout(resolve, LOCK_MS));
  clearInterval(tick);
  delay.disable();
  other.exec('COMMIT');
  other.close();
  return delay.max / 1e6;
}

/** The caller's max event-loop delay (ms) in each 2 s window of a held write lock. */
export async function lockStallBench(): Promise<{ bestMaxMs: number; windowsMaxMs: number[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-bench-lock-'));
  const file = path.join(dir, 'state.db');
  const db = new StateDatabase({ path: file, handleExit: false });
  try {
    const monitor = new SandboxPerfMonitor({ sink: db, alertThresholdMs: 60_000 });
    record(monitor, 10, 'warm');
    await db.flush();
    const windowsMaxMs: number[] = [];
    for (let i = 0; i < WINDOWS; i++) {
      windowsMaxMs.push(await window(file, monitor, `w${i}`));
      await db.flush();
    }
    return { bestMaxMs: Math.min(...windowsMaxMs), windowsMaxMs };
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
