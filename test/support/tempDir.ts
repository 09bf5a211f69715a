import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh real directory under the system's temporary folder, named `sandbox-perf-<prefix>-…`. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sandbox-perf-${prefix}-`));
}

/**
 * A fresh directory a sandbox can work in: mkdtemp makes it 0700, which the sandbox user (65534)
 * cannot enter and which the backends refuse as a working directory (issue 23's check); 0755 lets
 * it in without letting it write.
 */
export function sandboxDir(prefix: string): string {
  const dir = tempDir(prefix);
  fs.chmodSync(dir, 0o755);
  return dir;
}
