import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/*
 * Writing a file that someone else (a sandboxed run) could reach meanwhile: never through the path
 * as it now is. The folder is opened again and must be the very one seen at the start (its real
 * path, device and inode); everything after goes through that descriptor (/proc/self/fd/N/…), so
 * a folder swapped for a link afterwards changes nothing. The text goes to a temporary file made
 * there exclusively (O_EXCL, O_NOFOLLOW), and is renamed over the target: a link, FIFO or device
 * planted at the last moment is replaced, never followed, opened or written.
 */

/** The folder an output will be written into, as it was when the command started. */
export interface PinnedFolder {
  dir: string;
  real: string;
  dev: number;
  ino: number;
}

export function pinFolder(dir: string): PinnedFolder {
  const stat = fs.statSync(dir);
  return { dir, real: fs.realpathSync(dir), dev: stat.dev, ino: stat.ino };
}

function openPinned(folder: PinnedFolder): { fd: number } | { problem: string } {
  let fd: number;
  try {
    fd = fs.openSync(folder.dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (error) {
    return { problem: `its folder ${folder.dir} is no longer a folder (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  const now = fs.readlinkSync(`/proc/self/fd/${fd}`);
  const stat = fs.fstatSync(fd);
  if (now === folder.real && stat.dev === folder.dev && stat.ino === folder.ino) return { fd };
  fs.closeSync(fd);
  return { problem: `its folder ${folder.dir} was ${folder.real} at the start and is now ${now}; replaced or moved` };
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Already gone: nothing of ours is left.
  }
}

/**
 * Replaces `name` in `folder` with `text`, unless `check` (given the target's path through the
 * pinned folder, just before the rename) or the folder itself finds a problem: then that problem
 * is returned and nothing is left behind. The temporary file is removed whatever fails. The file
 * gets `mode` (before the umask).
 */
export function replaceFile(
  folder: PinnedFolder,
  name: string,
  text: string,
  check: (target: string) => string | null,
  mode = 0o644,
): string | null {
  const opened = openPinned(folder);
  if ('problem' in opened) return opened.problem;
  const base = `/proc/self/fd/${opened.fd}`;
  const temporary = path.join(base, `.sandbox-perf-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
    const fd = fs.openSync(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    created = true;
    try {
      const bytes = Buffer.from(text, 'utf8');
      for (let offset = 0; offset < bytes.length;) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset, null);
    } finally {
      fs.closeSync(fd);
    }
    const target = path.join(base, name);
    const problem = check(target);
    if (problem !== null) return problem;
    fs.renameSync(temporary, target);
    created = false;
    return null;
  } finally {
    if (created) removeQuietly(temporary);
    fs.closeSync(opened.fd);
  }
}
