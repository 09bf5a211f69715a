import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { isUnder } from '../sandboxRoot';

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

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
    .map(unescape)
    .filter((point) => isUnder(point, dir));
  return found.sort((a, b) => b.length - a.length);
}

/** util-linux `mount`/`umount` with these arguments; throws with its standard error. */
export function mountTool(tool: 'mount' | 'umount', args: readonly string[]): void {
  try {
    execFileSync(tool, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`${tool} ${args.join(' ')}: ${stderr || (error as Error).message}`, { cause: error });
  }
}

/** Detaches every mount at or under `dir` (lazily: a process still inside cannot keep it); true when none is left. */
export function unmountAll(dir: string): boolean {
  for (const point of mountsUnder(dir)) {
    try {
      mountTool('umount', ['--lazy', point]);
    } catch {
      // Reported by the check below.
    }
  }
  return mountsUnder(dir).length === 0;
}
