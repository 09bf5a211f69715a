import { createBubblewrapBackend } from './host/bubblewrap';
import { createDockerBackend } from './docker/DockerBackend';
import { createDockerWarmBackend } from './docker/DockerWarmBackend';
import { createGvisorBackend } from './host/gvisor';
import { createNoneBackend } from './host/none';
import { assertBackendName } from './options';
import { createPoolBackend } from './pool/SandboxPool';
import { createUnshareBackend } from './host/unshare';
import type { BackendName, SandboxBackend, SandboxOptions } from './types';

const FACTORIES: Record<BackendName, (options?: SandboxOptions) => SandboxBackend> = {
  none: createNoneBackend,
  unshare: createUnshareBackend,
  bubblewrap: createBubblewrapBackend,
  docker: createDockerBackend,
  'docker-warm': createDockerWarmBackend,
  'docker-pool': (options) => createPoolBackend('docker-pool', options),
  gvisor: createGvisorBackend,
  'gvisor-pool': (options) => createPoolBackend('gvisor-pool', options),
};

/** A backend by name, its options validated (nothing is started until `prepare`). */
export function createBackend(name: BackendName, options: SandboxOptions = {}): SandboxBackend {
  assertBackendName(name);
  return FACTORIES[name](options);
}
