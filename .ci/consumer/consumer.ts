// TypeScript consumer (CommonJS output): compiled with tsc against the installed declarations.
import { throws } from 'node:assert';
import { SandboxPerfMonitor, type OverheadAlert, type PerfReport, type SandboxPerfRecord } from 'sandbox-perf';

const monitor = new SandboxPerfMonitor({ sink: false, alertThresholdMs: 0 });
const alerts: OverheadAlert[] = [];
monitor.on('overhead-alert', (alert) => alerts.push(alert));
monitor.start('ts-1');
const record: SandboxPerfRecord = monitor.stop('ts-1', { outcome: 'success', details: { backend: 'none', phases: { run: 1 } } });
// @ts-expect-error the declarations are really in use: 'ok' is not an outcome
throws(() => monitor.stop('ts-1', { outcome: 'ok' }));
const report: PerfReport = monitor.getReport();
if (report.count !== 1 || record.sandboxId !== 'ts-1') throw new Error(`unexpected report ${JSON.stringify(report)}`);
console.log(`ts: ${JSON.stringify({ report, alerts: alerts.length })}`);
