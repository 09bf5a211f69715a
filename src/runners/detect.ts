import { createBackend } from './createBackend';
import { BackendUnavailableError } from './errors';
import { SandboxPool } from './pool/SandboxPool';
import { BACKEND_NAMES, type BackendName, type SandboxOptions } from './types';

export interface BackendAvailability {
  backend: BackendName;
  available: boolean;
  /** Why it is missing, e.g. `not installed`; null when available. */
  reason: string | null;
  /** The one command that enables it; null when available. */
  enable: string | null;
  /** One line for people: `bubblewrap: available` or `bubblewrap: not installed (apt-get install bubblewrap)`. */
  message: string;
}

/**
 * Which backends can run here, each checked the way a run would use it (`prepare`, then
 * `teardown`): a real `true` in the sandbox for host tools, a ping and the image for Docker.
 * docker-warm is checked like docker without starting its container, the pools without filling
 * (the engine, the image and, for gvisor-pool, the runsc runtime).
 */
export async function detectBackends(
  options: SandboxOptions = {},
  backends: readonly BackendName[] = BACKEND_NAMES,
): Promise<BackendAvailability[]> {
  return Promise.all(
    backends.map(async (backend): Promise<BackendAvailability> => {
      const probe = createBackend(backend === 'docker-warm' ? 'docker' : backend, options);
      try {
        if (probe instanceof SandboxPool) await probe.check();
        else {
          await probe.prepare();
          await probe.teardown();
        }
        return { backend, available: true, reason: null, enable: null, message: `${backend}: available` };
      } catch (error) {
        if (error instanceof BackendUnavailableError) {
          return {
            backend,
            available: false,
            reason: error.reason,
            enable: error.enable,
            message: `${backend}: ${error.reason} (${error.enable})`,
          };
        }
        const reason = error instanceof Error ? error.message : String(error);
        return { backend, available: false, reason, enable: null, message: `${backend}: ${reason}` };
      }
    }),
  );
}
