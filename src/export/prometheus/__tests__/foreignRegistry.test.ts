import os from 'node:os';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type * as PromClient from 'prom-client';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { SandboxPerfCollector } from '../SandboxPerfCollector';
import { SandboxPoolCollector } from '../PoolCollector';
import type { RegistryLike } from '../RegistryLike';

/** A second copy of prom-client, as in a project whose own prom-client is not ours: its classes are not ours. */
function otherPromClient(): typeof PromClient {
  let copy: typeof PromClient | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module instance on purpose
    copy = require('prom-client') as typeof PromClient;
  });
  return copy as typeof PromClient;
}

test('a Registry from another copy of prom-client is accepted and scraped (no instanceof)', async () => {
  const other = otherPromClient();
  const registry = new other.Registry();
  const ours = jest.requireActual<typeof PromClient>('prom-client');
  expect(registry instanceof ours.Registry).toBe(false);
  const mine = new other.Counter({ name: 'app_requests_total', help: 'the app own metric', registers: [registry] });
  mine.inc(3);
  const monitor = new SandboxPerfMonitor({ sink: false });
  const collector = new SandboxPerfCollector({ registry, monitor });
  monitor.start('sb-1');
  monitor.stop('sb-1', { outcome: 'success', details: { backend: 'none' } });
  const text = await registry.metrics();
  expect(text).toMatch(/^app_requests_total 3$/m);
  expect(text).toMatch(/^sandbox_runs_total\{outcome="success",backend="none"\} 1$/m);
  collector.dispose();
  expect(await registry.metrics()).not.toMatch(/sandbox_runs_total/);
});

test('any object of the Registry shape is accepted: a wrapper that is no prom-client class at all', async () => {
  const inner = new (otherPromClient().Registry)();
  const shaped: RegistryLike = {
    registerMetric: (metric) => inner.registerMetric(metric as never),
    getSingleMetric: (name) => inner.getSingleMetric(name),
    removeSingleMetric: (name) => inner.removeSingleMetric(name),
    metrics: () => inner.metrics(),
    contentType: inner.contentType,
  };
  const pools = new SandboxPoolCollector({ registry: shaped, pools: [] });
  expect(pools.registry).toBe(shaped);
  expect(await shaped.metrics()).toMatch(/^# TYPE sandbox_pool_size gauge$/m);
  expect(() => new SandboxPoolCollector({ registry: { ...shaped, contentType: undefined } as never })).toThrow(
    /^Expected `registry` to be a prom-client Registry, got /,
  );
});

test('importing the package root does not load prom-client; building a collector does', () => {
  // A plain node child (jest's module registry is not Node's): the TypeScript sources through the transpile hook.
  const root = path.resolve(__dirname, '../../../..');
  const script = [
    "const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/prom-client/'));",
    "const pkg = require('./src/index.ts');",
    'const before = loaded();',
    'new pkg.SandboxPerfCollector().dispose();',
    'console.log(JSON.stringify({ before, after: loaded() }));',
  ].join('\n');
  const out = execFileSync(process.execPath, ['-r', './test/support/registerTs.js', '-e', script], {
    cwd: root,
    env: { ...process.env, SANDBOX_PERF_DB: path.join(os.tmpdir(), 'sandbox-perf-never-opened.db') },
    encoding: 'utf8',
  });
  expect(JSON.parse(out.trim().split('\n').pop() as string)).toEqual({ before: false, after: true });
}, 60_000);
