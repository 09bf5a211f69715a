import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { errorMessage } from '../../log';
import { expectation, ValidationError } from '../../validation';
import { BackendUnavailableError } from '../errors';
import type { ResolvedSandboxOptions } from '../options';
import type { BackendName, SandboxResult } from '../types';
import { closeLayer } from '../workdir/closeLayer';
import type { WorkdirMode } from '../workdir/workdirOptions';
import { layerParent, sweepOrphanLayersOnce, WorkdirLayer } from '../workdir/WorkdirLayer';
import { failedResult } from './hostProcess';
import { privateMountNamespace } from './hostPrograms';

const execFileAsync = promisify(execFile);

/** The argv0 the view's shell shows in `ps`. */
const NAME = 'sandbox-perf-workdir';

/**
 * Puts the view on the working directory's path, in a private mount namespace, then execs the rest
 * of its arguments (the sandbox tool) from inside the view: `$1` the working directory, `$2` the
 * overlayfs options. A failed mount exits 125, as unshare's own set-up does.
 */
const VIEW: Record<Exclude<WorkdirMode, 'rw'>, string> = {
  ro: 'mount --bind -o ro "$1" "$1"',
  overlay: 'mount -t overlay -o "$2" overlay "$1"',
};

/**
 * What goes before a host tool's argv for the `ro` and `overlay` modes (nothing for `rw`): util-linux
 * `unshare` gives the run a private mount namespace (the same process: it execs /bin/sh, which mounts
 * the view and execs the tool); the parent-death signal is set before it, as for every host tool
 * (by the spawner, or by setpriv in front of the whole line without it). In
 * it, the working directory's path shows a read-only bind of itself, or an overlayfs with the run's
 * layer above it; whatever the tool then binds at that path (bubblewrap, unshare's fstab) or runs in
 * (none) is that view, and the tool's own user namespace cannot make it writable again (the mount
 * is locked read-only there). The namespace, and the mount with it, ends with the run's last
 * process: nothing is mounted on the host. Needs root (CAP_SYS_ADMIN for the namespace).
 */
export function workdirNamespace(mode: WorkdirMode, cwd: string, layer: WorkdirLayer | null): string[] {
  if (mode === 'rw') return [];
  return [
    ...privateMountNamespace(),
    '/bin/sh',
    '-c',
    `${VIEW[mode]} || exit 125; cd "$1" || exit 125; shift 2; exec "$@"`,
    NAME,
    cwd,
    layer?.mountOptions ?? '',
  ];
}

/** A host run's working directory: what goes before the tool's argv, and what to do once the run is over. */
export interface HostWorkdir {
  prefix: string[];
  /** With a layer: adds phase `layer` (first), and `keep` and `discard` (closeLayer). */
  close(result: SandboxResult): Promise<SandboxResult>;
}

/**
 * Sets up one run's view of the working directory (see workdirNamespace). A tool that keeps every
 * write in a memory overlay of its own (`ownOverlay`: gVisor's `runsc do`) gets nothing: its runs
 * see the working directory through that overlay whatever the mode.
 */
export function openHostWorkdir(options: ResolvedSandboxOptions, ownOverlay: boolean): HostWorkdir {
  if (options.workdir === 'rw' || ownOverlay) return { prefix: [], close: (result) => Promise.resolve(result) };
  const t = performance.now();
  const layer = options.workdir === 'overlay' ? WorkdirLayer.create(options.cwd) : null;
  const layerMs = performance.now() - t;
  return {
    prefix: workdirNamespace(options.workdir, options.cwd, layer),
    close: async (result) => {
      return layer === null ? result : closeLayer({ ...result, phases: { layer: layerMs, ...result.phases } }, layer, options);
    },
  };
}

/**
 * Checked by `prepare`: `keep` on a tool with its own overlay is refused (there is no layer to copy
 * from); `ro` and `overlay` need root and, for `overlay`, overlayfs: one real view is mounted
 * (`true` run inside it) so that a host where it cannot work says so before the first run.
 */
export async function prepareHostWorkdir(name: BackendName, options: ResolvedSandboxOptions, ownOverlay: boolean): Promise<void> {
  if (ownOverlay && options.keep.length > 0) {
    throw new ValidationError(
      expectation(
        'keep',
        `empty on ${name}: runsc do keeps every write of the run in its own memory, out of reach (use gvisor-pool or bubblewrap to keep outputs)`,
        options.keep.map((k) => k.path),
      ),
    );
  }
  if (options.workdir === 'rw' || ownOverlay) return;
  const enable = `run sandbox-perf as root on a kernel with overlayfs, or use --workdir rw`;
  if (process.getuid?.() !== 0)
    throw new BackendUnavailableError(
      name,
      `workdir '${options.workdir}' needs root here (it mounts the view in a private mount namespace)`,
      enable,
    );
  layerParent(options.cwd);
  await sweepOrphanLayersOnce();
  const workdir = openHostWorkdir(options, false);
  try {
    const [program, ...args] = [...workdir.prefix, 'true'];
    await execFileAsync(program, args, { env: options.env, cwd: options.cwd, timeout: 30_000 });
  } catch (error) {
    const stderr = ((error as { stderr?: string }).stderr ?? '').trim().split('\n')[0];
    throw new BackendUnavailableError(
      name,
      `workdir '${options.workdir}': cannot mount the view here: ${stderr || errorMessage(error)}`,
      enable,
      { cause: error },
    );
  } finally {
    await workdir.close(failedResult(name, 'probe'));
  }
}
