import { errorMessage } from '../../log';
import type { ResolvedSandboxOptions } from '../options';
import type { SandboxResult } from '../types';
import type { WorkdirLayer } from './WorkdirLayer';

/**
 * After a run in `overlay` mode, once its processes are gone: copies the kept paths back (phase
 * `keep`, and `result.kept`), then removes the layer (phase `discard`, unless `discard` is false:
 * a pool removes it with the container, off the run's time). A copy that fails (a full disk)
 * makes the run an error naming the path; a layer that cannot be removed is left for the orphan
 * sweep. Whatever the command did, its outputs are kept: the same as in `rw`.
 */
export async function closeLayer(
  result: SandboxResult,
  layer: WorkdirLayer,
  options: ResolvedSandboxOptions,
  discard = true,
): Promise<SandboxResult> {
  const phases = { ...result.phases };
  let closed: SandboxResult = { ...result, phases };
  if (options.keep.length > 0) {
    const t = performance.now();
    try {
      closed = { ...closed, kept: layer.keep(options.cwd, options.keep) };
    } catch (error) {
      closed = { ...closed, outcome: 'error', error: `keeping ${options.keep.map((k) => k.path).join(', ')}: ${errorMessage(error)}` };
    }
    phases.keep = performance.now() - t;
  }
  if (discard) {
    const t = performance.now();
    await layer.remove().catch(() => undefined);
    phases.discard = performance.now() - t;
  }
  return closed;
}
