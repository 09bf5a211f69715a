import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { isUnder } from '../host/sandboxRoot';

const execFileAsync = promisify(execFile);

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** One line of mountinfo: the file system (`major:minor`), the path within it that is mounted, and where. */
export interface MountEntry {
  majorMinor: string;
  root: string;
  mountPoint: string;
}

/** This process's mount namespace, in mountinfo's order (parents first); empty where /proc cannot be read. */
export function mountTable(): MountEntry[] {
  let info: string;
  try {
    info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return info.split('\n').flatMap((line) => {
    const [, , majorMinor, root, mountPoint] = line.split(' ');
    if (majorMinor === undefined || root === undefined || mountPoint === undefined) return [];
    return [{ majorMinor, root: unescape(root), mountPoint: unescape(mountPoint) }];
  });
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
