import { assertOneOf } from '../validation';
import { BACKENDS, type BackendEntry, type BackendName } from './backends';

/** The registry, each entry checked against BackendEntry by this assignment. */
const ENTRIES: readonly BackendEntry[] = BACKENDS;

/** The sandbox backends' names, in the registry's order (from no isolation to a user-space kernel). */
export const BACKEND_NAMES: readonly BackendName[] = BACKENDS.map((entry) => entry.name);

const BY_NAME: ReadonlyMap<string, BackendEntry> = new Map(ENTRIES.map((entry) => [entry.name, entry]));

export function assertBackendName(value: unknown): asserts value is BackendName {
  assertOneOf('backend', value, BACKEND_NAMES);
}

/** A backend's registry entry (backends.ts); throws the validation error for an unknown name. */
export function backendEntry(name: BackendName): BackendEntry {
  const entry = BY_NAME.get(name);
  if (entry === undefined) assertBackendName(name);
  return entry as BackendEntry;
}

/** The names of the backends whose entry passes `test`, in the registry's order. */
export function backendsWhere(test: (entry: BackendEntry) => boolean): BackendName[] {
  return BACKEND_NAMES.filter((name) => test(BY_NAME.get(name) as BackendEntry));
}
