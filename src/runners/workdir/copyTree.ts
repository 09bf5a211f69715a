import fs from 'node:fs';
import path from 'node:path';

/**
 * Copies the host's working directory `from` into the new directory `to`, for a sandbox that cannot
 * use an overlayfs layer (gVisor, see docs/runners.md): directories, regular files (reflinked where
 * the file system can) and symbolic links as links, with their owners, permissions and times.
 * Sockets, FIFOs and devices are left out (a copy of a socket would not reach its server anyway),
 * and so are other file systems mounted below `from`, as an overlayfs view leaves them out.
 * `from` is the caller's own directory, trusted as the caller's files are.
 */
export function copyTree(from: string, to: string): void {
  const root = fs.lstatSync(from);
  copyDirectory(from, to, root, root.dev);
}

function copyDirectory(from: string, to: string, stat: fs.Stats, dev: number): void {
  fs.mkdirSync(to, { mode: 0o700 });
  for (const entry of fs.readdirSync(from)) {
    const source = path.join(from, entry);
    const target = path.join(to, entry);
    const child = fs.lstatSync(source);
    if (child.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(source), target);
      fs.lchownSync(target, child.uid, child.gid);
    } else if (child.isDirectory() && child.dev === dev) {
      copyDirectory(source, target, child, dev);
    } else if (child.isFile()) {
      fs.copyFileSync(source, target, fs.constants.COPYFILE_FICLONE);
      finish(target, child);
    }
  }
  finish(to, stat);
}

function finish(target: string, stat: fs.Stats): void {
  fs.chownSync(target, stat.uid, stat.gid);
  fs.chmodSync(target, stat.mode & 0o7777);
  fs.utimesSync(target, stat.atime, stat.mtime);
}
