// TypeScript consumer (ESM output): resolves the "import" condition's declarations.
import assert from 'node:assert/strict';
import { SandboxPerfMonitor, type StopMeta } from 'sandbox-perf';

const monitor = new SandboxPerfMonitor({ sink: false });
const meta: StopMeta = { outcome: 'error', details: { backend: 'none', error: 'boom' } };
monitor.start('mts-1');
monitor.stop('mts-1', meta);
// @ts-expect-error the declarations are really in use: start() takes a string id
assert.throws(() => monitor.start(1), TypeError);
console.log(`mts: ${JSON.stringify(monitor.getReport())}`);
