import path from 'node:path';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** The repository root, where `typescript` resolves from. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/*
 * Runs a .ts file in a plain `node` child: the transpile-only require hook of test/support and
 * then the entry. No ts-node, no build step: `npx jest` alone is enough.
 */
const REGISTER_TS = path.join(__dirname, 'registerTs.js');

export function spawnTs(entry: string, env: NodeJS.ProcessEnv, options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, ['-r', REGISTER_TS, '-e', 'require(process.env.SANDBOX_PERF_TS_ENTRY)'], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
    ...options,
    env: { ...process.env, ...env, SANDBOX_PERF_TS_ENTRY: entry },
  });
}

/** Resolves with the first line the child writes to stdout; rejects if it exits first. */
export function firstLine(child: ChildProcess, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`child ${child.pid} printed no line within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(buffered.slice(0, nl));
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child ${child.pid} exited (${code ?? signal}) before printing a line`));
    });
  });
}

/** Sends SIGTERM to one child by PID and waits for it to exit (SIGKILL after `graceMs`). */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
