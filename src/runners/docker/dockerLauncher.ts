import type { BoundedOutput, OutputListener } from '../BoundedOutput';
import { LAUNCHER_IN_CONTAINER, parseLauncherReport, reportLineLength } from '../host/launcher';

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

/**
 * Watches standard error (its tail, from `tail()`) for the launcher's line with `key` as the chunks
 * arrive, each passed on to `listener` first: `at()` is when it came (null until then), and `seen`
 * resolves then. The launcher writes it once it reaped the command: the command has ended, whatever
 * it left behind still holds the output open.
 */
export function watchReport(
  listener: OutputListener | undefined,
  key: string,
  tail: () => string,
): { listener: OutputListener; seen: Promise<void>; at(): number | null } {
  let at: number | null = null;
  let reported = (): void => undefined;
  const seen = new Promise<void>((resolve) => (reported = resolve));
  return {
    listener(stream, chunk) {
      listener?.(stream, chunk);
      if (stream === 'stderr' && at === null && parseLauncherReport(tail(), 'stderr')?.key === key) {
        at = performance.now();
        reported();
      }
    },
    seen,
    at: () => at,
  };
}
