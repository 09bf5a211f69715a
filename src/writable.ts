import fs from 'node:fs';

/** Whether this process may write `file` (a file or a directory), as access(2) says: no write is tried. */
export function writable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
