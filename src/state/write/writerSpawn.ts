import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WriterData } from './writerProtocol';

/*
 * Built code runs dist/state/write/writerThread.js directly. Under ts-jest the sources are .ts files
 * that a worker cannot load by itself, so the worker first installs the repository's one
 * transpile-only hook, test/support/registerTs.js (only there when running from the sources).
 */
export const TS_BOOTSTRAP = `
require(${JSON.stringify(path.resolve(__dirname, '..', '..', '..', 'test', 'support', 'registerTs.js'))});
require(require('node:worker_threads').workerData.entry);
`;

export function spawnWriter(data: WriterData): Worker {
  const fromSource = __filename.endsWith('.ts');
  const entry = path.join(__dirname, fromSource ? 'writerThread.ts' : 'writerThread.js');
  return fromSource ? new Worker(TS_BOOTSTRAP, { eval: true, workerData: { ...data, entry } }) : new Worker(entry, { workerData: data });
}
