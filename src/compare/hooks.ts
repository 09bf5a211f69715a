import { spawn } from 'node:child_process';
import type { BackendName } from '../runners/types';

/**
 * hyperfine's --setup, --prepare and --cleanup, per backend. Each is a shell string run on the
 * host through /bin/sh -c (as hyperfine runs its commands), never inside the sandbox and never
 * timed: --setup once before a backend's first run (warm-up included), --prepare before each of
 * its runs, --cleanup once after its last. SANDBOX_PERF_BACKEND names the backend, so one hook
 * can treat backends differently. A hook that fails stops the comparison, naming the hook, the
 * backend and the end of its stderr.
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

export function runHook(
  hook: HookName,
  script: string | undefined,
  backend: BackendName,
  options: { cwd: string; timeoutMs: number },
): Promise<void> {
  if (script === undefined) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script], {
      cwd: options.cwd,
      env: { ...process.env, SANDBOX_PERF_BACKEND: backend },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-STDERR_TAIL);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    const fail = (why: string): void => {
      const last = tail.trimEnd().split('\n').pop()?.trim() ?? '';
      reject(
        new HookError(
          `--${hook} command ${JSON.stringify(script)} failed for backend ${backend}: ${why}${last ? `; its stderr ends with: ${last}` : ''}`,
        ),
      );
    };
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(error.message);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        fail(
          signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${options.timeoutMs} ms?)` : ''}` : `exited with code ${code}`,
        );
    });
  });
}
