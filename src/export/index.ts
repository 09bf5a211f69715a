export { SandboxPerfCollector, PROMETHEUS_METRIC_NAMES, createMetricsHandler, HistoryFeed } from './prometheus';
export type { SandboxPerfCollectorOptions, ExpositionSource, MetricsHandlerOptions, RegistryLike } from './prometheus';
export { SandboxPoolCollector, POOL_METRIC_NAMES } from './prometheus';
export type { SandboxPoolCollectorOptions, PoolHealthSource } from './prometheus';
export { SandboxCanaryCollector, CANARY_METRIC_NAMES } from './prometheus';
export type { SandboxCanaryCollectorOptions, CanarySource } from './prometheus';
export { SandboxPerfOtelBridge, OTEL_INSTRUMENT_NAMES, OTEL_ATTRIBUTES, OTEL_METER_NAME } from './otel';
export type { MeterLike, SandboxPerfOtelBridgeOptions } from './otel';
export {
  BackendLabels,
  sanitizeLabelValue,
  DEFAULT_MAX_BACKENDS,
  DEFAULT_MAX_LABEL_LENGTH,
  OTHER_BACKEND,
  UNKNOWN_BACKEND,
} from './labels';
export type { BackendLabelOptions } from './labels';
export { RUN_DURATION_BUCKETS_SECONDS } from './buckets';
export { MonitorTap } from './MonitorTap';
export type { MonitorTapOptions, TappedRun, TapSink } from './MonitorTap';
export { DEFAULT_MAX_WORKLOADS, DEFAULT_WORKLOAD_HALF_LIFE_MS, DEFAULT_WORKLOAD_REBALANCE_MS } from './workloadLabels';
export type { WorkloadLabelOptions, ExportedWorkload } from './workloadLabels';
export type { MonitorSource, PersistenceHealthSource } from './sources';
export { SandboxIsolationCollector, ISOLATION_METRIC_NAMES } from './prometheus';
export type { SandboxIsolationCollectorOptions } from './prometheus';
export type { IsolationSource, IsolationSeries } from './isolationSource';
export { OTEL_ISOLATION_NAMES } from './otel';
