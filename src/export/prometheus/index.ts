export { SandboxPerfCollector, PROMETHEUS_METRIC_NAMES } from './SandboxPerfCollector';
export type { SandboxPerfCollectorOptions } from './SandboxPerfCollector';
export { createMetricsHandler } from './metricsHandler';
export type { ExpositionSource, MetricsHandlerOptions } from './metricsHandler';
export { HistoryFeed } from './HistoryFeed';
export { SandboxPoolCollector, POOL_METRIC_NAMES } from './PoolCollector';
export type { SandboxPoolCollectorOptions, PoolHealthSource } from './PoolCollector';
export type { RegistryLike } from './RegistryLike';
