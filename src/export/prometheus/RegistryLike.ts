/**
 * What the collectors use of a prom-client Registry. Any object of this shape fits, so a Registry
 * from the caller's own copy (or version) of prom-client works where `instanceof` would fail.
 * Written out here rather than imported so that the package's declarations never need prom-client.
 */
export interface RegistryLike {
  registerMetric(metric: object): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** True for an object with the Registry methods and content type the collectors call. */
export function isRegistryLike(value: unknown): value is RegistryLike {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.registerMetric === 'function' &&
    typeof r.getSingleMetric === 'function' &&
    typeof r.removeSingleMetric === 'function' &&
    typeof r.metrics === 'function' &&
    typeof r.contentType === 'string'
  );
}
