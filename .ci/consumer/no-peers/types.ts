// Compiled by .ci/consumer-test.sh in a project holding only the tarball and typescript: no
// prom-client, no @opentelemetry/api (optional peers), strict, skipLibCheck off, under node10
// (without esModuleInterop), node16, nodenext and bundler (types.mts: the ESM entry).
// The README's TypeScript snippet, and the OpenTelemetry bridge's options typed without the API.
import { SandboxPerfMonitor, type MeterLike, type SandboxPerfOtelBridgeOptions, type SandboxPerfRecord } from 'sandbox-perf';

const monitor = new SandboxPerfMonitor({ alertThresholdMs: 250, sink: false });
monitor.start('job-1');
export const record: SandboxPerfRecord = monitor.stop('job-1', { outcome: 'success' });

export function bridgeOptions(meter: MeterLike): SandboxPerfOtelBridgeOptions {
  return { meter, monitor };
}
