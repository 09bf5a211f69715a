import type * as PromClient from 'prom-client';
import { isRegistryLike, type RegistryLike } from './RegistryLike';
import { expectation, ValidationError } from '../../validation';

let loaded: typeof PromClient | undefined;

/**
 * prom-client is an optional peer dependency, loaded on the first collector rather than with the
 * package: a project that never exports Prometheus metrics needs neither the install nor the load.
 */
export function promClient(): typeof PromClient {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional peer dependency, loaded on demand
    loaded = require('prom-client') as typeof PromClient;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'MODULE_NOT_FOUND') {
      throw new Error('The Prometheus collectors need the peer dependency prom-client: run `npm install prom-client`');
    }
    throw error;
  }
  return loaded;
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
