import type * as PromClient from 'prom-client';
import { isRegistryLike, type RegistryLike } from './RegistryLike';
import { expectation, ValidationError } from '../../validation';

let loaded: typeof PromClient | null | undefined;

/** What a missing prom-client is told: the package and the command that installs it. */
export const PROM_CLIENT_NEEDED = 'The Prometheus collectors need the peer dependency prom-client: run `npm install prom-client`';

/**
 * prom-client is an optional peer dependency, loaded on the first collector rather than with the
 * package: a project that never exports Prometheus metrics needs neither the install nor the load.
 * null when it is not installed; any other failure to load it throws.
 */
export function loadPromClient(): typeof PromClient | null {
  if (loaded !== undefined) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional peer dependency, loaded on demand
    loaded = require('prom-client') as typeof PromClient;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
    loaded = null;
  }
  return loaded;
}

/** prom-client, or an Error saying which package to install. */
export function promClient(): typeof PromClient {
  const prom = loadPromClient();
  if (prom === null) throw new Error(PROM_CLIENT_NEEDED);
  return prom;
}

/** Our prom-client's metric classes register into any RegistryLike: the registry only calls their get(). */
export function asRegisters(registry: RegistryLike): PromClient.Registry[] {
  return [registry as unknown as PromClient.Registry];
}

/**
 * A collector's options checked and its registry resolved: the caller's (any object of the
 * Registry's shape) or a new one from the installed prom-client.
 */
export function collectorRegistry(options: { registry?: RegistryLike }): RegistryLike {
  if ((options as unknown) === null || typeof options !== 'object') throw new ValidationError(expectation('options', 'an object', options));
  const registry = options.registry ?? new (promClient().Registry)();
  if (!isRegistryLike(registry)) throw new ValidationError(expectation('registry', 'a prom-client Registry', registry));
  return registry;
}
