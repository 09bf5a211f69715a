import fs from 'node:fs';
import { notAnExport, type ExportFormat } from '../export/comparison/recognise';

/*
 * A file that is not ours is never touched: an export may create a file, or replace a regular
 * file that is empty or already an export in its format. Anything else at the path (a link,
 * whoever made it; a FIFO, device, socket or folder; a file of other content) is refused.
 */

/** More than any export of ours (a comparison of 100 000 rounds of six backends is tens of MB). */
const MAX_BYTES = 256 * 1024 * 1024;

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The file's text, read without following a link or blocking on a FIFO swapped in meanwhile; null if it changed. */
function textOf(file: string, stat: fs.Stats): string | null {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch {
    return null;
  }
  try {
    const now = fs.fstatSync(fd);
    if (!now.isFile() || now.ino !== stat.ino || now.dev !== stat.dev) return null;
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Why an export in `format` must not replace what is at `file` (not followed if a link), or null. */
export function foreignTargetProblem(file: string, format: ExportFormat): string | null {
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (stat === undefined) return null;
  if (stat.isSymbolicLink()) return `a symbolic link to ${JSON.stringify(fs.readlinkSync(file))}`;
  if (!stat.isFile()) return kindOf(stat);
  if (stat.size === 0) return null;
  if (stat.size > MAX_BYTES) return `a file of ${stat.size} bytes, more than any ${format} export`;
  const text = textOf(file, stat);
  if (text === null) return 'a file that changed while it was read';
  const why = notAnExport(format, text);
  return why === null ? null : `a file of other content: ${why}`;
}
