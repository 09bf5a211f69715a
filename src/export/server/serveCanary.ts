import { startCanary, type Canary, type StartCanaryOptions } from '../../canary/startCanary';
import { SandboxCanaryCollector } from '../prometheus/CanaryCollector';
import type { RegistryLike } from '../prometheus/RegistryLike';

/** The canary options of startServe: everything startCanary takes but where it records and reports. */
export type ServeCanaryOptions = Omit<StartCanaryOptions, 'db' | 'monitor' | 'onLine'>;

/**
 * startServe's canary: recording into the served history, its gauges on the server's registry
 * (none when `registry` is null: prom-client is not installed). null without `canary` options;
 * rejects (a TypeError) when the canary cannot start.
 */
export async function startServeCanary(
  options: { canary?: ServeCanaryOptions; dbPath: string; onCanaryLine?: (line: string) => void },
  registry: RegistryLike | null,
): Promise<{ canary: Canary; metrics: SandboxCanaryCollector | null } | null> {
  if (options.canary === undefined) return null;
  const onLine = options.onCanaryLine;
  const canary = await startCanary({ ...options.canary, db: options.dbPath, ...(onLine ? { onLine } : {}) });
  return { canary, metrics: registry === null ? null : new SandboxCanaryCollector({ registry, canary }) };
}
