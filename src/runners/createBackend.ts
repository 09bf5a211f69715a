import { backendEntry } from './backendNames';
import type { BackendName, SandboxBackend, SandboxOptions } from './types';

/** A backend by name, its options validated (nothing is started until `prepare`). */
export function createBackend(name: BackendName, options: SandboxOptions = {}): SandboxBackend {
  return backendEntry(name).create(options);
}
