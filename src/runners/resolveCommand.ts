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
  /** The program's size in bytes as the sandbox sees it (what was hashed); null when not found. */
  bytes: number | null;
  root: RootFileSystem;
  /** Why `program` is null, else null. */
  error: string | null;
}

/**
 * Prints the resolved path on its own line, then either `sha256 HEX SIZE` (the sandbox's own
 * sha256sum and wc -c over the program) or, in a sandbox without them, `stream` and the program's
 * bytes: both as the sandbox sees them. Hashing in the sandbox spares streaming the program out
 * (node is 99 MB: 34 s through docker's attach stream, 21 s through a gvisor pool). Not ls for the
 * size: GNU ls's statx fails under gVisor. The path is found as the command's exec finds it (a
 * name with a slash as it is, else the first executable file of that name in PATH, an empty entry
 * the working directory), not by `command -v`: that names the shell's builtin for `true` or `echo`,
 * which read as `$PWD/true` (hostile trial 2026-12-07: "the sandbox could not read true").
 */
const RESOLVE_SCRIPT = [
  'set -f',
  'case "$1" in */*) p=$1 ;; *) p=; IFS=:; for d in $PATH; do [ -n "$d" ] || d=.; if [ -f "$d/$1" ] && [ -x "$d/$1" ]; then p=$d/$1; break; fi; done; unset IFS; [ -n "$p" ] || exit 127 ;; esac',
  'case "$p" in /*) ;; *) p="$PWD/$p" ;; esac',
  'printf "%s\\n" "$p"',
  'if command -v sha256sum >/dev/null && h=$(sha256sum < "$p") && s=$(wc -c < "$p"); then set -- $h $s; printf "sha256 %s %s\\n" "$1" "$3"; exit 0; fi',
  'printf "stream\\n"',
  'exec cat -- "$p"',
].join('\n');
const RESOLVE_TIMEOUT_MS = 120_000;
const HASHED_LINE = /^sha256 ([0-9a-f]{64}) (\d+)$/;

/** The image's id and digest, asked of the engine the backend uses. */
async function imageRoot(options: SandboxOptions): Promise<RootFileSystem> {
  const { image, dockerSocket } = resolveSandboxOptions(options);
  const docker = await pingEngine(dockerSocket);
  const inspected = (await docker.getImage(image).inspect()) as { Id: string; RepoDigests?: string[] };
  return { kind: 'image', image, id: inspected.Id, digest: inspected.RepoDigests?.[0] ?? null };
}

/** What the resolve script printed, read as it arrives: the path, then the sandbox's hash or the streamed bytes hashed here. */
class ResolveOutput {
  private head = Buffer.alloc(0);
  private lines: string[] = [];
  private readonly stream = createHash('sha256');
  private streamed = 0;

  take(chunk: Buffer): void {
    // The first two lines are text (the path, then `sha256 …` or `stream`); after `stream`, the program's bytes.
    if (this.lines[1] === 'stream') {
      this.streamed += chunk.length;
      this.stream.update(chunk);
      return;
    }
    this.head = Buffer.concat([this.head, chunk]);
    let newline: number;
    while (this.lines.length < 2 && (newline = this.head.indexOf(10)) >= 0) {
      this.lines.push(this.head.subarray(0, newline).toString('utf8'));
      this.head = this.head.subarray(newline + 1);
    }
    if (this.lines[1] === 'stream' && this.head.length > 0) {
      const rest = this.head;
      this.head = Buffer.alloc(0);
      this.take(rest);
    }
  }

  /** The path, hash and size, or why they cannot be read from what was printed. */
  read(program: string): { path: string; sha256: string; bytes: number } | string {
    const [path, how] = this.lines;
    if (path === undefined || how === undefined) return `the sandbox printed no path for ${program}`;
    if (how === 'stream') return { path, sha256: this.stream.digest('hex'), bytes: this.streamed };
    const hashed = HASHED_LINE.exec(how);
    if (hashed === null || this.head.length > 0)
      return `the sandbox's sha256sum printed ${JSON.stringify(how)} for ${program}, expected "sha256 <64 hex digits> <size>"`;
    return { path, sha256: hashed[1] as string, bytes: Number(hashed[2]) };
  }
}

/**
 * Asks a prepared backend what `program` is in its sandbox: one untimed, unrecorded run of the
 * sandbox's own `/bin/sh` that resolves it as the command's exec would (a name through PATH, a
 * relative path against the working directory) and hashes its bytes with the sandbox's own
 * sha256sum (or, without one, streams them out to be hashed here). So the path and the hash are
 * those of the file the sandbox runs, whichever root it has. A pool spends one sandbox on it (the
 * caller waits for its refill).
 */
export async function resolveCommand(backend: SandboxBackend, program: string, options: SandboxOptions = {}): Promise<CommandResolution> {
  const rule = backendEntry(backend.name).root;
  const kind = typeof rule === 'function' ? rule(resolveSandboxOptions(options)) : rule;
  const root: RootFileSystem = kind === 'image' ? await imageRoot(options) : { kind: 'host' };
  const output = new ResolveOutput();
  const result = await backend.run(['/bin/sh', '-c', RESOLVE_SCRIPT, 'sandbox-perf-resolve', program], {
    timeoutMs: RESOLVE_TIMEOUT_MS,
    maxOutputBytes: 4096,
    onOutput: (stream, chunk) => {
      if (stream === 'stdout') output.take(chunk);
    },
  });
  const read = result.outcome === 'success' ? output.read(program) : null;
  const found = read !== null && typeof read !== 'string' ? read : null;
  const error =
    found !== null
      ? null
      : typeof read === 'string'
        ? read
        : result.exitCode === 127
          ? `${program} is not found in the sandbox`
          : `the sandbox could not read ${program}: ${result.error ?? result.outcome}`;
  return {
    backend: backend.name,
    requested: program,
    program: found?.path ?? null,
    sha256: found?.sha256 ?? null,
    bytes: found?.bytes ?? null,
    root,
    error,
  };
}
