import { SANDBOX_PATH } from '../environment';
import { findExecutable } from './hostProcess';

const found = new Map<string, string>();

/**
 * A sandbox tool (setpriv, unshare, mount, bwrap, runsc) by its absolute path on the sandbox PATH,
 * looked up once. The tools are spawned with the command's environment, whose PATH the `env` option
 * may change: looked up there, a PATH without /usr/bin made `bubblewrap: cannot start a sandbox here:
 * spawn setpriv ENOENT (apt-get install bubblewrap)` of a run whose own program was the one missing
 * (issue 23, finding 8). A tool that is not there keeps its name, and spawning it says which.
 */
export function hostProgram(name: string): string {
  let file = found.get(name);
  if (file === undefined) {
    file = findExecutable(name, SANDBOX_PATH, '/') ?? name;
    found.set(name, file);
  }
  return file;
}

/**
 * Without the spawner (no C compiler at install), put before every host tool: util-linux `setpriv`
 * sets the parent-death signal and execs the tool, so a SIGKILL of the runner kills the tool, and
 * the tool's namespace or sandbox with it. The spawner sets both itself in the parked child, so its
 * runs exec the tool's own line.
 */
export function pdeathsigPrefix(): string[] {
  return [hostProgram('setpriv'), '--pdeathsig', 'KILL', '--'];
}
/** The same, and `no_new_privs` for everything the sandbox runs (setuid files gain nothing). */
export function strictPrefix(): string[] {
  return [hostProgram('setpriv'), '--pdeathsig', 'KILL', '--no-new-privs', '--'];
}

/**
 * The line of a sandbox tool's standard error that says why it failed: the last one, but for
 * util-linux mount's "dmesg(1) may have more information after failed mount system call", which it
 * adds to every failed mount whether the kernel logged anything or not (a bind that a user namespace
 * refuses logs nothing).
 */
export function sandboxFailure(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^dmesg\(1\) may have more information/.test(line));
  return lines.at(-1) ?? '';
}

/**
 * Put before a line that mounts for itself: util-linux `unshare` gives it a private mount namespace
 * (the same process: it execs the rest), so its mounts end with the run's last process and none
 * reaches the host (the `ro`/`overlay` working-directory view, gvisor's image root).
 */
export function privateMountNamespace(): string[] {
  return [hostProgram('unshare'), '--mount', '--propagation', 'private', '--'];
}
