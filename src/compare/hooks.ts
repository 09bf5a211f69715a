import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { printable } from '../printable';
import { afterSignalCleanup, registerRun } from '../runners/inFlightRuns';
import { killProcessGroup } from '../runners/processGroup';
import type { BackendName } from '../runners/types';

/**
 * hyperfine's --setup, --prepare and --cleanup, per backend. Each is a shell string run on the
 * host through /bin/sh -c (as hyperfine runs its commands), never inside the sandbox and never
 * timed: --setup once before a backend's first run (warm-up included), --prepare before each of
 * its runs, --cleanup once after its last. SANDBOX_PERF_BACKEND names the backend, so one hook
 * can treat backends differently. A hook that fails stops the comparison, naming the hook, the
 * backend and the end of its stderr. A hook runs in a process group of its own: at the timeout, and
 * on SIGINT/SIGTERM/SIGHUP of this process, that whole group is killed.
 */
export type HookName = 'setup' | 'prepare' | 'cleanup';

export interface Hooks {
  setup?: string;
  prepare?: string;
  cleanup?: string;
}

export class HookError extends Error {
  override name = 'HookError';
}

const STDERR_TAIL = 2000;
/** How long the end of a hook's stderr is waited for after its shell exited, when a process it left holds the pipe open. */
const STDERR_GRACE_MS = 100;

export function runHook(
  hook: HookName,
  script: string | undefined,
  backend: BackendName,
  options: {
    cwd: string;
    timeoutMs: number;
    /** What the hook runs around, for its messages: `backend ${backend}` unless said. */ around?: string;
  },
): Promise<void> {
  if (script === undefined) return Promise.resolve();
  return new Promise((resolve, reject) => {
    // A process group of its own: the timeout and a signal kill the shell and all it started.
    const child = spawn('/bin/sh', ['-c', script], {
      cwd: options.cwd,
      env: { ...process.env, SANDBOX_PERF_BACKEND: backend },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    const killGroup = (): void => killProcessGroup(child.pid);
    // Its own group no longer gets the terminal's Ctrl-C: the signal's cleanup kills it instead.
    const unregister = registerRun(`--${hook} hook (pid ${String(child.pid)})`, killGroup);
    let tail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-STDERR_TAIL);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const fail = (why: string): void => {
      // Escaped: a hook's stderr is not ours to send to the terminal (a title, a clear screen).
      const last = printable(tail.trimEnd().split('\n').pop()?.trim() ?? '');
      reject(
        new HookError(
          `--${hook} command ${JSON.stringify(script)} failed for ${options.around ?? `backend ${backend}`}: ${why}${last ? `; its stderr ends with: ${last}` : ''}`,
        ),
      );
    };
    child.on('error', (error) => {
      clearTimeout(timer);
      unregister();
      // spawn's ENOENT names the shell when it is the directory that is gone.
      fail(fs.existsSync(options.cwd) ? error.message : `the working directory ${options.cwd} no longer exists`);
    });
    // Its shell's end, not its pipe's: a process it left in the background (`sleep 300 &`) holds
    // stderr open, and waiting for that kept predict and compare until --timeout, then called the
    // hook failed. What it left is its own (a --setup that starts a daemon keeps it).
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      unregister();
      // What the shell wrote before it ended is read (its end of file, or a moment when a process it left holds the pipe).
      const drained = new Promise<void>((done) => {
        const grace = setTimeout(done, STDERR_GRACE_MS);
        child.stderr.once('close', () => {
          clearTimeout(grace);
          done();
        });
      }).then(() => child.stderr.destroy());
      // Killed by a signal's cleanup: not reported as a hook that failed.
      void Promise.all([drained, afterSignalCleanup()]).then(() => {
        if (timedOut) fail(`killed at its timeout (${options.timeoutMs} ms), with every process in its process group`);
        else if (code === 0) resolve();
        else fail(signal ? `killed by ${signal}` : `exited with code ${code}`);
      });
    });
  });
}
