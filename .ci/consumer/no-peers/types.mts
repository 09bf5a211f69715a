// The ESM entry's declarations (index.d.mts) under the same settings as types.ts.
import { SandboxPerfMonitor, type SandboxPerfRecord } from 'sandbox-perf';

const monitor = new SandboxPerfMonitor({ sink: false });
monitor.start('job-2');
export const record: SandboxPerfRecord = monitor.stop('job-2', { outcome: 'error' });
