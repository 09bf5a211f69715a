import fs from 'node:fs';
import path from 'node:path';
import { isInside } from '../pathReach';
import type { BackendName } from '../runners/types';
import { backendEntry } from '../runners/backendNames';
import type { WorkdirMode } from '../runners/workdir/workdirOptions';

/** This package's own folder (dist/cli or src/cli, two levels down): code the host runs with every `sandbox-perf`. */
const OWN_PACKAGE = path.resolve(__dirname, '../..');

/** What in a working directory the host runs later, by the place a run could rewrite it. */
const HOST_CODE = ['node_modules/.bin', '.git/hooks', 'package.json', 'Makefile'] as const;

/** The entries of `cwd` that hold code the host executes later (relative paths), this package's own folder first. */
export function hostCodeIn(cwd: string, ownPackage: string = OWN_PACKAGE): string[] {
  const found: string[] = [];
  if (isInside(ownPackage, cwd)) found.push(path.relative(cwd, ownPackage) || '.');
  for (const entry of HOST_CODE) if (fs.existsSync(path.join(cwd, entry))) found.push(entry);
  return found;
}

let warned = false;

/**
 * Says once per process, on `stderr`, that an isolating backend run with `--workdir rw` may rewrite
 * code the host runs later, when the working directory holds some. `none` isolates nothing, so a
 * warning about its working directory alone would mislead; gvisor discards every write.
 */
export function warnHostCodeInWorkdir(
  stderr: { write(text: string): unknown },
  cwd: string,
  workdir: WorkdirMode,
  backends: readonly BackendName[],
): void {
  if (warned || workdir !== 'rw') return;
  const isolating = backends.filter((b) => b !== 'none' && backendEntry(b).rwReachesHost);
  if (isolating.length === 0) return;
  const found = hostCodeIn(cwd);
  if (found.length === 0) return;
  warned = true;
  stderr.write(
    `sandbox-perf: warning: the working directory holds code this host runs later (${found.join(', ')}), and with ` +
      `--workdir rw (the default) a run on ${isolating.join(', ')} can rewrite it; use --workdir overlay ` +
      `(with --keep PATH for outputs) or --workdir ro (see docs/runners.md, "The working directory")\n`,
  );
}
