// ESM consumer: named imports from 'sandbox-perf', one module instance shared with require().
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { SandboxPerfMonitor, SandboxRunStateError, sandboxPerfMonitor, summarize } from 'sandbox-perf';

const required = createRequire(import.meta.url)('sandbox-perf');
assert.equal(required.SandboxPerfMonitor, SandboxPerfMonitor, 'ESM and CommonJS see the same class');
assert.equal(required.sandboxPerfMonitor, sandboxPerfMonitor, 'and the same process-wide monitor');

const monitor = new SandboxPerfMonitor({ sink: false });
for (let i = 0; i < 3; i++) {
  monitor.start(`esm-${i}`);
  monitor.stop(`esm-${i}`, { outcome: i === 2 ? 'timeout' : 'success' });
}
assert.throws(() => monitor.stop('esm-0', { outcome: 'success' }), SandboxRunStateError);
const report = monitor.getReport();
assert.equal(report.count, 3);
assert.equal(summarize([1, 2, 3]).medianMs, 2);
console.log(`esm: ${JSON.stringify(report)}`);
