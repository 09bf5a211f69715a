import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

/** Absolute path of an executable on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export const promtool = which('promtool');
export const prometheus = which('prometheus');
/** For describeWhen: a reason when promtool is missing. */
export const promtoolMissing = promtool ? false : 'promtool is not on PATH';

/** `promtool check metrics` on an exposition: its exit code and everything it printed. */
export function checkMetrics(exposition: string): { status: number | null; output: string } {
  const result = spawnSync(promtool as string, ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}
