import { spawnSync } from 'node:child_process';
import { findExecutable } from '../../src/runners/host/hostProcess';

/** Absolute path of an executable on PATH (looked up as the runners do), or undefined. */
function which(name: string): string | undefined {
  return findExecutable(name, process.env.PATH ?? '', process.cwd()) ?? undefined;
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
