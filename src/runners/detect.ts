import { BACKEND_NAMES, backendEntry } from './backendNames';
import { launcherStatus, type TimerName } from './host/launcher';
import { BackendUnavailableError } from './errors';
import type { BackendName, SandboxOptions } from './types';

export interface BackendAvailability {
  backend: BackendName;
  available: boolean;
  /** Why it is missing, e.g. `not installed`; null when available. */
  reason: string | null;
  /** The one command that enables it; null when available. */
  enable: string | null;
  /** One line for people: `bubblewrap: available` or `bubblewrap: not installed (apt-get install bubblewrap)`. */
  message: string;
  /**
   * What times the command's own run (`commandMs`): `launcher` (the C timer next to the command,
   * built at install) or `node` (no launcher: `commandMs` is null, durations include Node's fork).
   */
  timer: TimerName;
}

/**
 * Which backends can run here, each checked the way a run would use it (`prepare`, then
 * `teardown`): a real `true` in the sandbox for host tools, a ping and the image for Docker.
 * A registry entry may check otherwise (its `check`): docker-warm like docker without starting
 * its container, the pools without filling (the engine, the image and, for gvisor-pool, the runsc runtime).
 */
export async function detectBackends(
  options: SandboxOptions = {},
  backends: readonly BackendName[] = BACKEND_NAMES,
): Promise<BackendAvailability[]> {
  return Promise.all(
    backends.map(async (backend): Promise<BackendAvailability> => {
      const entry = backendEntry(backend);
      // Created outside the check: bad options throw, as they would for a run.
      const probe = entry.create(options);
      // Pools' agents run commands behind the launcher too when it is built (agentScript.ts).
      const timer: TimerName = launcherStatus().path === null ? 'node' : 'launcher';
      try {
        if (entry.check) await entry.check(probe, options);
        else {
          await probe.prepare();
          await probe.teardown();
        }
        return { backend, available: true, reason: null, enable: null, message: `${backend}: available`, timer };
      } catch (error) {
        if (error instanceof BackendUnavailableError) {
          return {
            backend,
            available: false,
            reason: error.reason,
            enable: error.enable,
            message: `${backend}: ${error.reason} (${error.enable})`,
            timer,
          };
        }
        const reason = error instanceof Error ? error.message : String(error);
        return { backend, available: false, reason, enable: entry.enable, message: `${backend}: ${reason} (${entry.enable})`, timer };
      }
    }),
  );
}
