import type { BoundedOutput } from '../BoundedOutput';
import { LAUNCHER_IN_CONTAINER, reportLineLength } from '../host/launcher';

/**
 * The launcher in Docker containers: the static binary is bound read-only at
 * {@link LAUNCHER_IN_CONTAINER} (the engine is local: the working directory is bound the same way)
 * and reports as the last line of standard error.
 */
export const REPORT_TAIL = 256;

/**
 * The command as the container runs it: behind the launcher when there is one; `keyed`: the
 * launcher first reads a key from standard input and ends its line with it (docker-warm's exec).
 */
export function timedCommand(command: readonly string[], launcher: string | null, keyed = false): readonly string[] {
  return launcher === null ? command : [LAUNCHER_IN_CONTAINER, keyed ? 'stderr-key' : 'stderr', ...command];
}

/** The bind that makes the launcher visible in a container. */
export function launcherBind(launcher: string): string {
  return `${launcher}:${LAUNCHER_IN_CONTAINER}:ro`;
}

/** Standard error without the launcher's line (kept when truncated: the line was not kept either). */
export function stripReport(stderr: BoundedOutput, launcher: string | null): string {
  const text = stderr.text();
  return launcher === null || stderr.truncated ? text : text.slice(0, text.length - reportLineLength(text));
}

/** The phases with those named in `covered` replaced by `split`, at the place of the first; the others keep their order. */
export function replacePhases(
  phases: Readonly<Record<string, number>>,
  covered: readonly string[],
  split: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  let placed = false;
  for (const [phase, ms] of Object.entries(phases)) {
    if (!covered.includes(phase)) out[phase] = ms;
    else if (!placed) {
      Object.assign(out, split);
      placed = true;
    }
  }
  return out;
}
