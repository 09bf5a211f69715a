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
