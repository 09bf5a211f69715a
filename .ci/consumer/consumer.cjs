// CommonJS consumer: require('sandbox-perf'), record through the default SQLite sink, read it back.
'use strict';
const assert = require('node:assert/strict');
const { SandboxPerfMonitor, sandboxPerfMonitor, StateDatabase, HistoryReader, resolveDbPath } = require('sandbox-perf');

function busy(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

async function main() {
  const monitor = new SandboxPerfMonitor({ sink: false, alertThresholdMs: 1 });
  const alerts = [];
  monitor.on('overhead-alert', (alert) => alerts.push(alert));
  monitor.start('cjs-1');
  busy(3);
  const record = monitor.stop('cjs-1', { outcome: 'success' });
  assert.equal(record.sandboxId, 'cjs-1');
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].thresholdMs, 1);

  // The process-wide monitor persists to SANDBOX_PERF_DB through better-sqlite3 (the native part).
  sandboxPerfMonitor.start('cjs-persisted');
  sandboxPerfMonitor.stop('cjs-persisted', { outcome: 'success', details: { backend: 'none' } });
  await StateDatabase.getDefault().close();
  const reader = new HistoryReader(resolveDbPath());
  const history = reader.report();
  reader.close();
  assert.equal(history.count, 1);

  const report = monitor.getReport();
  assert.equal(report.count, 1);
  // prom-client, the optional peer this project installed, is loaded by the first collector.
  const collector = new (require('sandbox-perf').SandboxPerfCollector)({ monitor });
  assert.match(await collector.metrics(), /^# TYPE sandbox_run_duration_seconds histogram$/m);
  collector.dispose();

  // docs/runners.md: the runners come from the package root; no subpath is exported.
  const { runInSandbox, createBackend } = require('sandbox-perf');
  assert.equal(typeof runInSandbox, 'function');
  assert.equal(typeof createBackend, 'function');
  assert.throws(() => require('sandbox-perf/runners'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  console.log(`cjs: ${JSON.stringify({ report, history })}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
