import path from 'node:path';
import { Worker } from 'node:worker_threads';

/*
 * Built code runs a thread's .js file directly. Under ts-jest the sources are .ts files that a
 * worker cannot load by itself, so the worker first installs the repository's one transpile-only
 * hook, test/support/registerTs.js (only there when running from the sources), then its entry.
 */
const TS_BOOTSTRAP = `
require(${JSON.stringify(path.resolve(__dirname, '..', 'test', 'support', 'registerTs.js'))});
require(require('node:worker_threads').workerData.entry);
`;

/**
 * Starts the worker thread whose module is `name` in `dir` (the caller's `__dirname`): `name.js`
 * when built, `name.ts` when running from the sources. The thread reads `workerData` as given
 * (plus `entry`, its own file).
 */
export function startThread(dir: string, name: string, workerData: object): Worker {
  const fromSource = __filename.endsWith('.ts');
  const entry = path.join(dir, `${name}${fromSource ? '.ts' : '.js'}`);
  return new Worker(fromSource ? TS_BOOTSTRAP : entry, { eval: fromSource, workerData: { ...workerData, entry } });
}
