import type * as PromClient from 'prom-client';
import type { RegistryLike } from './RegistryLike';

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
