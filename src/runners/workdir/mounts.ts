import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { isInside, unescapeMountField } from '../../pathReach';

const execFileAsync = promisify(execFile);

/** Mount points of this process's mount namespace at or under `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  let info: string;
  try {
    info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const found = info
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map(unescapeMountField)
    .filter((point) => isInside(point, dir));
  return found.sort((a, b) => b.length - a.length);
}

/** util-linux `mount`/`umount` with these arguments; rejects with its standard error. */
export async function mountTool(tool: 'mount' | 'umount', args: readonly string[]): Promise<void> {
  try {
    await execFileAsync(tool, args, { timeout: 30_000 });
  } catch (error) {
    const stderr = ((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`${tool} ${args.join(' ')}: ${stderr || (error as Error).message}`, { cause: error });
  }
}

/** Detaches every mount at or under `dir` (lazily: a process still inside cannot keep it); true when none is left. */
export async function unmountAll(dir: string): Promise<boolean> {
  for (const point of mountsUnder(dir)) await mountTool('umount', ['--lazy', point]).catch(() => undefined);
  return mountsUnder(dir).length === 0;
}
