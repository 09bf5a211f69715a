export { SandboxPerfCollector, PROMETHEUS_METRIC_NAMES } from './SandboxPerfCollector';
export type { SandboxPerfCollectorOptions } from './SandboxPerfCollector';
export { createMetricsHandler } from './metricsHandler';
export type { ExpositionSource, MetricsHandlerOptions } from './metricsHandler';
export { HistoryFeed } from './HistoryFeed';
