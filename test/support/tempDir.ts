import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh real directory under the system's temporary folder, named `sandbox-perf-<prefix>-…`. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sandbox-perf-${prefix}-`));
}
