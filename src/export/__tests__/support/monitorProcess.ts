/*
 * A monitor process for the end-to-end Prometheus test. It runs a real SandboxPerfMonitor with a
 * SandboxPerfCollector attached, makes the runs given in SANDBOX_PERF_CHILD_SPEC, and serves
 * /metrics on an ephemeral loopback port, printing `{"port":N}` once ready.
 *
 * The monitor's clock (performance.now) is replaced by one the script advances, so each run lasts
 * exactly the duration asked for: the records, events and metrics are the real ones, only time
 * is simulated, which keeps the test deterministic and fast.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { SandboxPerfCollector } from '../../prometheus/SandboxPerfCollector';
import { createMetricsHandler } from '../../prometheus/metricsHandler';

interface Spec {
  name: string;
  backend: string;
  /** Passed to the collector (its tap). */
  maxWorkloads?: number;
  /** Readable labels of the workloads, by key. */
  labels?: Record<string, string>;
  runs: { durationMs: number; outcome: 'success' | 'timeout' | 'error'; workload?: string; commandMs?: number }[];
}

const spec = JSON.parse(process.env.SANDBOX_PERF_CHILD_SPEC ?? '') as Spec;
let now = 0;
performance.now = () => now;

const monitor = new SandboxPerfMonitor({ sink: false });
const collector = new SandboxPerfCollector({ monitor, ...(spec.maxWorkloads === undefined ? {} : { maxWorkloads: spec.maxWorkloads }) });
spec.runs.forEach((run, i) => {
  const id = `${spec.name}-${i}`;
  monitor.start(id);
  now += run.durationMs;
  const details = {
    backend: spec.backend,
    ...(run.workload === undefined ? {} : { workload: run.workload, workloadLabel: spec.labels?.[run.workload] ?? run.workload }),
    ...(run.commandMs === undefined ? {} : { commandMs: run.commandMs }),
  };
  monitor.stop(id, { outcome: run.outcome, details });
});

const handler = createMetricsHandler(collector);
const server = http.createServer((req, res) => (req.url === '/metrics' ? handler(req, res) : res.writeHead(404).end()));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port, pid: process.pid })}\n`);
});
const exit = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', exit);
// If the test runner dies, its end of stdin closes: do not outlive it.
process.stdin.on('end', exit);
process.stdin.resume();
