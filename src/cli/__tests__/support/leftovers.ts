import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { saveCalibration } from '../../../state/calibrationStore';
import { processesMatching } from '../../../../test/support/runners';
import { calibrationOf } from '../../../../test/support/calibrationFixture';
import { CLI, stateHomeOf } from './cli';

/**
 * What the leftover tests share: a stored calibration predict can read without calibrating (its
 * numbers do not matter, only that predict gets to its hooks and its profiling run), a CLI run
 * signalled once it got somewhere, and bounded waits for what must be gone.
 */

/** Stores a calibration of none and bubblewrap in `db`. */
export function storeFixtureCalibration(db: string): void {
  saveCalibration(db, calibrationOf(['bubblewrap'], { createdAt: new Date().toISOString() }));
}

/** Polls `ready` every 25 ms for up to `timeoutMs`; whether it came true. */
export async function waitUntil(ready: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** The processes whose command line holds `marker`, once they are gone or after `timeoutMs` (a SIGKILLed one takes a moment to go). */
export async function survivorsOf(marker: string, timeoutMs = 5000): Promise<string[]> {
  await waitUntil(() => processesMatching(marker).length === 0, timeoutMs);
  return processesMatching(marker);
}

/**
 * The `sleep MARKER` processes themselves: not the CLI, the shell or the counter whose command
 * lines name them too (a test that waited for those would signal before the sleep started).
 */
export function sleeping(marker: string): string[] {
  return processesMatching(`sleep ${marker}`).filter((line) => /^\s*\d+ sleep /.test(line));
}

/** The entries of `dir` (the TMPDIR given to a CLI run: what it left there). */
export function entriesOf(dir: string): string[] {
  return fs.readdirSync(dir);
}

/**
 * Runs the CLI in `cwd` with TMPDIR `tmp`, sends `signal` once `until()` holds (within 60 s), and
 * resolves with how it ended (within 30 s of the signal) and its PID (which names its cgroups).
 */
export function signalCli(
  args: readonly string[],
  options: { cwd: string; tmp: string; signal: NodeJS.Signals; until: () => boolean },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; pid: number }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_STATE_HOME: stateHomeOf(options.cwd), NO_COLOR: '1', TMPDIR: options.tmp },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return (async () => {
    const reached = await waitUntil(() => options.until() || child.exitCode !== null, 60_000);
    if (!reached || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`sandbox-perf ${args.join(' ')} ended or never got ready before the signal; stderr: ${stderr}`);
    }
    child.kill(options.signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const end = await ended;
    clearTimeout(timer);
    return { ...end, stderr, pid: child.pid ?? 0 };
  })();
}

/** The cgroups the runner `pid` made (named by its owner tag, `run-PID.…`), in every v1 hierarchy. */
export function cgroupsOf(pid: number): string[] {
  const groups: string[] = [];
  for (const hierarchy of fs.existsSync('/sys/fs/cgroup') ? fs.readdirSync('/sys/fs/cgroup') : []) {
    const parent = `/sys/fs/cgroup/${hierarchy}/sandbox-perf`;
    if (!fs.existsSync(parent)) continue;
    for (const name of fs.readdirSync(parent)) if (name.startsWith(`run-${pid}.`)) groups.push(`${parent}/${name}`);
  }
  return groups;
}
