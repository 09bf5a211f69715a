import { createHash } from 'node:crypto';
import { backendEntry } from './backendNames';
import { pingEngine } from './docker/dockerEngine';
import { resolveSandboxOptions } from './options';
import type { BackendName, SandboxBackend, SandboxOptions } from './types';

/** The root file system a backend runs the command from: the host's, or a Docker image's. */
export type RootFileSystem =
  | { kind: 'host' }
  | {
      kind: 'image';
      /** The image as named in the options (`sandbox-perf/node:local`). */
      image: string;
      /** The engine's content-addressed id of that image (`sha256:…`), what the tag pointed to. */
      id: string;
      /** Its registry digest (`name@sha256:…`), null for an image built or imported locally. */
      digest: string | null;
    };

/** What a backend's command resolved to, seen from inside its sandbox. */
export interface CommandResolution {
  backend: BackendName;
  /** The command's first word, as given. */
  requested: string;
  /** The program's path as the sandbox's shell resolves it (`command -v` with the run's PATH and working directory); null when not found. */
  program: string | null;
  /** SHA-256 (hex) of the program's bytes as the sandbox reads them; null when not found. */
  sha256: string | null;
  /** Bytes read for the hash; null when not found. */
  bytes: number | null;
  root: RootFileSystem;
  /** Why `program` is null, else null. */
  error: string | null;
}

/** Prints the resolved path on its own line, then the program's bytes: both as the sandbox sees them. */
const RESOLVE_SCRIPT =
  'p=$(command -v -- "$1") || exit 127; case "$p" in /*) ;; *) p="$PWD/$p" ;; esac; printf "%s\\n" "$p"; exec cat -- "$p"';
const RESOLVE_TIMEOUT_MS = 120_000;

/** The image's id and digest, asked of the engine the backend uses. */
async function imageRoot(options: SandboxOptions): Promise<RootFileSystem> {
  const { image, dockerSocket } = resolveSandboxOptions(options);
  const docker = await pingEngine(dockerSocket);
  const inspected = (await docker.getImage(image).inspect()) as { Id: string; RepoDigests?: string[] };
  return { kind: 'image', image, id: inspected.Id, digest: inspected.RepoDigests?.[0] ?? null };
}

/**
 * Asks a prepared backend what `program` is in its sandbox: one untimed, unrecorded run of the
 * sandbox's own `/bin/sh` that resolves it as the command's exec would (a name through PATH, a
 * relative path against the working directory) and streams its bytes out to be hashed here. So
 * the path and the hash are those of the file the sandbox runs, whichever root it has. A pool
 * spends one sandbox on it (the caller waits for its refill).
 */
export async function resolveCommand(backend: SandboxBackend, program: string, options: SandboxOptions = {}): Promise<CommandResolution> {
  const rule = backendEntry(backend.name).root;
  const kind = typeof rule === 'function' ? rule(resolveSandboxOptions(options)) : rule;
  const root: RootFileSystem = kind === 'image' ? await imageRoot(options) : { kind: 'host' };
  const hash = createHash('sha256');
  // Written by the output listener: the first line is the path, the rest the program's bytes.
  const seen: { head: Buffer; path: string | null; bytes: number } = { head: Buffer.alloc(0), path: null, bytes: 0 };
  const result = await backend.run(['/bin/sh', '-c', RESOLVE_SCRIPT, 'sandbox-perf-resolve', program], {
    timeoutMs: RESOLVE_TIMEOUT_MS,
    maxOutputBytes: 4096,
    onOutput: (stream, chunk) => {
      if (stream !== 'stdout') return;
      if (seen.path === null) {
        seen.head = Buffer.concat([seen.head, chunk]);
        const newline = seen.head.indexOf(10);
        if (newline < 0) return;
        seen.path = seen.head.subarray(0, newline).toString('utf8');
        chunk = seen.head.subarray(newline + 1);
      }
      seen.bytes += chunk.length;
      hash.update(chunk);
    },
  });
  const found = result.outcome === 'success' && seen.path !== null;
  const error = found
    ? null
    : result.exitCode === 127
      ? `${program} is not found in the sandbox`
      : `the sandbox could not read ${program}: ${result.error ?? result.outcome}`;
  return {
    backend: backend.name,
    requested: program,
    program: found ? seen.path : null,
    sha256: found ? hash.digest('hex') : null,
    bytes: found ? seen.bytes : null,
    root,
    error,
  };
}
