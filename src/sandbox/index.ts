export {
  SandboxPerfMonitor,
  sandboxPerfMonitor,
  SandboxRunStateError,
  DEFAULT_ALERT_THRESHOLD_MS,
  DEFAULT_RETAIN_SAMPLES,
} from './SandboxPerfMonitor';
export type {
  SandboxPerfRecord,
  PerfMonitorOptions,
  PerfReport,
  OverheadAlert,
  IsolationOverheadAlert,
  SandboxOutcome,
  SandboxRunDetails,
  StopMeta,
  ActiveRun,
  RecordSink,
  SandboxPerfEvents,
} from './SandboxPerfMonitor';
