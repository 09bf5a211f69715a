import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { KeptPath } from './workdirOptions';

/** What `keep` copied back after a run, and what it left behind. */
export interface KeepReport {
  /** Regular files copied into the working directory. */
  files: number;
  bytes: number;
  /** Entries not copied, relative to the working directory, with the reason (a symbolic link, a FIFO…). */
  skipped: { path: string; reason: string }[];
}

const CHUNK = 1024 * 1024;
/**
 * A kept file whose size exceeds what its blocks hold by more than this is not copied: it is
 * mostly holes, which a copy would write out on the host (`truncate -s 2G out/f` in the run took
 * no space in its layer and 2 GiB of the host's disk and 9.5 s to keep; `-s 1P` would fill the
 * disk). Smaller holes are kept as holes: a chunk of zeros is skipped, not written.
 */
export const MAX_KEPT_HOLES_BYTES = 64 * 1024 * 1024;
const IS_ROOT = process.getuid?.() === 0;

function kind(stat: fs.Stats): string | null {
  if (stat.isDirectory() || stat.isFile()) return null;
  if (stat.isSymbolicLink()) return 'a symbolic link (neither followed nor copied)';
  // overlayfs records a file the run removed as a character device 0:0 in the layer.
  if (stat.isCharacterDevice() && stat.rdev === 0) return 'removed by the run (removals are not copied back)';
  return stat.isFIFO() ? 'a FIFO' : stat.isSocket() ? 'a socket' : 'a device';
}

/** The run's owner and permission bits, without setuid, setgid or sticky bits. */
function applyOwner(fd: number, stat: fs.Stats): void {
  if (IS_ROOT) fs.fchownSync(fd, stat.uid, stat.gid);
  fs.fchmodSync(fd, stat.mode & 0o777);
}

/**
 * Copies the paths the caller declared from `from` (the run's layer, or its copy of the working
 * directory) into `cwd`. The run is an attacker that has ended: nothing it left is followed. Every
 * entry is looked at with lstat; only directories (descended into) and regular files (opened with
 * O_NOFOLLOW, checked again on the open descriptor) are copied; symbolic links, FIFOs, sockets and
 * devices are skipped and reported. On the host side, each directory on the way must be a real
 * directory (a symbolic link there is not written through), and a file is written to a fresh name
 * beside its target and renamed over it, so a link at the target is replaced, never followed.
 * Removals are not copied back. Throws on I/O errors (a full disk).
 */
export function keepOutputs(from: string, cwd: string, kept: readonly KeptPath[]): KeepReport {
  const report: KeepReport = { files: 0, bytes: 0, skipped: [] };
  for (const { path: name, segments } of kept) {
    let source = from;
    let target = cwd;
    let reachable = true;
    // Each directory above the kept path: a real directory in the layer and on the host.
    for (const [index, segment] of segments.entries()) {
      source = path.join(source, segment);
      target = path.join(target, segment);
      const stat = fs.lstatSync(source, { throwIfNoEntry: false });
      if (!stat) {
        reachable = false; // the run wrote nothing there
        break;
      }
      if (index === segments.length - 1) break;
      const relative = segments.slice(0, index + 1).join('/');
      if (!stat.isDirectory()) {
        report.skipped.push({ path: relative, reason: kind(stat) ?? 'a file where the kept path needs a directory' });
        reachable = false;
        break;
      }
      if (!ensureDirectory(target, stat, relative, report)) {
        reachable = false;
        break;
      }
    }
    if (reachable) copyEntry(source, target, name, report);
  }
  return report;
}

/** Makes `target` a directory owned like the run's, unless something else is there (reported). */
function ensureDirectory(target: string, like: fs.Stats, relative: string, report: KeepReport): boolean {
  const existing = fs.lstatSync(target, { throwIfNoEntry: false });
  if (existing?.isDirectory()) return true;
  if (existing) {
    const what = existing.isSymbolicLink() ? 'a symbolic link on the host (not written through)' : 'not a directory on the host';
    report.skipped.push({ path: relative, reason: what });
    return false;
  }
  fs.mkdirSync(target, { mode: 0o700 });
  const fd = fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  try {
    applyOwner(fd, like);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function copyEntry(source: string, target: string, relative: string, report: KeepReport): void {
  const stat = fs.lstatSync(source);
  const skip = kind(stat);
  if (skip !== null) {
    report.skipped.push({ path: relative, reason: skip });
    return;
  }
  if (stat.isFile()) {
    copyFile(source, target, relative, report);
    return;
  }
  if (relative !== '.' && !ensureDirectory(target, stat, relative, report)) return;
  for (const name of fs.readdirSync(source).sort()) {
    copyEntry(path.join(source, name), path.join(target, name), relative === '.' ? name : `${relative}/${name}`, report);
  }
}

function copyFile(source: string, target: string, relative: string, report: KeepReport): void {
  const existing = fs.lstatSync(target, { throwIfNoEntry: false });
  if (existing?.isDirectory()) {
    report.skipped.push({ path: relative, reason: 'a directory on the host' });
    return;
  }
  const input = fs.openSync(source, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.sandbox-perf-keep-${randomBytes(6).toString('hex')}`);
  let output: number | undefined;
  try {
    const stat = fs.fstatSync(input);
    if (!stat.isFile()) {
      report.skipped.push({ path: relative, reason: 'not a regular file when opened' });
      return;
    }
    const holes = stat.size - stat.blocks * 512;
    if (holes > MAX_KEPT_HOLES_BYTES) {
      report.skipped.push({
        path: relative,
        reason: `a sparse file (${stat.size} bytes, ${stat.blocks * 512} of them stored): its holes would be written out on the host`,
      });
      return;
    }
    output = fs.openSync(temporary, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    const buffer = Buffer.allocUnsafe(CHUNK);
    let copied = 0;
    for (let n = fs.readSync(input, buffer, 0, CHUNK, null); n > 0; n = fs.readSync(input, buffer, 0, CHUNK, null)) {
      // A chunk of zeros stays a hole (written at its position, the next chunk lands after it; ftruncate sets the end).
      if (!isZeros(buffer, n)) {
        for (let written = 0; written < n;) written += fs.writeSync(output, buffer, written, n - written, copied + written);
      }
      copied += n;
    }
    fs.ftruncateSync(output, copied);
    applyOwner(output, stat);
    fs.futimesSync(output, stat.atime, stat.mtime);
    fs.closeSync(output);
    output = undefined;
    fs.renameSync(temporary, target);
    report.files++;
    report.bytes += copied;
  } catch (error) {
    if (output !== undefined) fs.closeSync(output);
    fs.rmSync(temporary, { force: true });
    throw error;
  } finally {
    fs.closeSync(input);
  }
}

const ZEROS = Buffer.alloc(CHUNK);
const isZeros = (buffer: Buffer, length: number): boolean => buffer.subarray(0, length).equals(ZEROS.subarray(0, length));
