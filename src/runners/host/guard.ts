import fs from 'node:fs';
import { BackendUnavailableError } from '../errors';
import type { BackendName } from '../types';
import { nativeProgram } from '../../nativeProgram';

/**
 * The socket guard (native/guard.c, built at install by native/build.js beside the launcher): a
 * seccomp filter, installed in front of the command inside the sandbox, under which no Unix socket
 * can be made that could connect anywhere (socket(AF_UNIX) and datagram socketpairs fail with
 * EACCES). It keeps the host's sockets out of reach wherever they sit in what the sandbox binds
 * (the working directory, a socket created there after the run started, a 0666 one), which neither
 * uid mapping nor mount options can (issue 23, finding 1). The kernel enforces it for every
 * descendant, so no check can be raced.
 *
 * unshare, bubblewrap and the runc Docker backends need it: without it they are unavailable, with
 * the reason. gVisor does not (its sentry refuses host sockets: runsc's -host-uds is off), nor
 * does `none`, which isolates nothing.
 */

const GUARD_FILE = nativeProgram('sandbox-perf-guard');

/** Where the Docker backends bind the guard (read-only) in their containers. */
export const GUARD_IN_CONTAINER = '/.sandbox-perf-guard';

let resolved: string | null | undefined;

/** The guard's path, or null when it was not built. Looked up once per process. */
export function guardPath(): string | null {
  if (resolved !== undefined) return resolved;
  try {
    fs.accessSync(GUARD_FILE, fs.constants.X_OK);
    resolved = GUARD_FILE;
  } catch {
    resolved = null;
  }
  return resolved;
}

/** The guard's path for a backend that needs it; a backend without it is unavailable, and says why. */
export function requireGuard(backend: BackendName): string {
  const guard = guardPath();
  if (guard === null) {
    throw new BackendUnavailableError(
      backend,
      `cannot keep host Unix sockets out of the sandbox's reach: no socket guard at ${GUARD_FILE}`,
      'npm rebuild sandbox-perf builds it, or node native/build.js in a checkout; both need a C compiler',
    );
  }
  return guard;
}

/** The guard a guarded tool's wrap puts in front of the command; a wrap without one is a programming error. */
export function wrapGuard(guard: string | null): string {
  if (guard === null) throw new Error('sandbox-perf: a guarded sandbox was wrapped without its socket guard (prepare() resolves it)');
  return guard;
}
