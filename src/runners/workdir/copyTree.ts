import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Copies the host's working directory `from` into the new directory `to`, for a sandbox that cannot
 * use an overlayfs layer (gVisor, see docs/runners.md): GNU `cp --archive` (owners, permissions,
 * times, symbolic links as links; reflinked where the file system can), staying on `from`'s file
 * system as an overlayfs view does. A child process, so that a large directory does not hold up
 * the runner's event loop. `from` is the caller's own directory, trusted as the caller's files are.
 */
export async function copyTree(from: string, to: string): Promise<void> {
  try {
    await execFileAsync('cp', ['--archive', '--one-file-system', '--reflink=auto', '--no-target-directory', '--', from, to], {
      timeout: 600_000,
    });
  } catch (error) {
    const stderr = ((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`copying the working directory ${from}: ${stderr || (error as Error).message}`, { cause: error });
  }
}
