export { SandboxPerfOtelBridge, OTEL_INSTRUMENT_NAMES, OTEL_ATTRIBUTES, OTEL_METER_NAME } from './SandboxPerfOtelBridge';
export type { SandboxPerfOtelBridgeOptions } from './SandboxPerfOtelBridge';
export type { MeterLike } from './MeterLike';
export { OTEL_ISOLATION_NAMES } from './isolationGauges';
