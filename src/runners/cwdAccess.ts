import fs from 'node:fs';
import { expectation, ValidationError } from '../validation';

/** A uid and gid a sandbox runs its command as (it has no supplementary groups). */
export interface SandboxUser {
  uid: number;
  gid: number;
}

/** Whether `user` may search (enter) a directory, by its mode bits. */
function mayEnter(stat: fs.Stats, user: SandboxUser): boolean {
  const bits = stat.uid === user.uid ? stat.mode >> 6 : stat.gid === user.gid ? stat.mode >> 3 : stat.mode;
  return (bits & 1) === 1;
}

/** Why the sandbox runs as `user`, for the message: the rule of containerUser and gvisorUser. */
function whoIsIt(cwd: string): string {
  if (process.getuid?.() !== 0) return 'the caller';
  return fs.statSync(cwd).uid === 0 ? 'nobody: the working directory is root’s' : 'the working directory’s owner';
}

/**
 * Refuses, before anything starts, a working directory the sandbox's user cannot enter (issue 23,
 * finding 8): a root-owned 0700 directory (what `mktemp -d` makes) let gvisor, the Docker backends
 * and the pools start the command in a directory it could neither list nor read (`ls: cannot access
 * '.': Permission denied`), or failed with `spawn /.sandbox-perf-launcher EACCES`. The message says
 * which uid needs which permission on which directory. The directory itself: the command starts in
 * it (the runtime enters it first, as root), so the directories above it matter only to absolute paths.
 */
export function assertSandboxUserCanEnter(backend: string, cwd: string, user: SandboxUser): void {
  const stat = fs.statSync(cwd, { throwIfNoEntry: false });
  if (!stat || mayEnter(stat, user)) return;
  const mode = (stat.mode & 0o7777).toString(8).padStart(4, '0');
  throw new ValidationError(
    expectation(
      'cwd',
      `a directory ${backend}'s user can enter: it runs the command as uid ${user.uid}, gid ${user.gid} (${whoIsIt(cwd)}), ` +
        `which needs search permission (x) on ${cwd} (owner uid ${stat.uid}, gid ${stat.gid}, mode ${mode}): ` +
        `chmod o+x ${cwd}, or give the directory to the user the command should run as`,
      cwd,
    ),
  );
}
