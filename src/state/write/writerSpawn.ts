import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WriterData } from './writerProtocol';

/*
 * Built code runs dist/state/write/writerThread.js directly. Under ts-jest the sources are .ts files
 * that a worker cannot load by itself, so the worker first installs a transpile-only hook
 * (TypeScript is a dev dependency, present wherever .ts sources are run).
 */
export const TS_BOOTSTRAP = `
const fs = require('node:fs');
const ts = require('typescript');
require.extensions['.ts'] = (module, file) => {
  const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(out.outputText, file);
};
require(require('node:worker_threads').workerData.entry);
`;

export function spawnWriter(data: WriterData): Worker {
  const fromSource = __filename.endsWith('.ts');
  const entry = path.join(__dirname, fromSource ? 'writerThread.ts' : 'writerThread.js');
  return fromSource ? new Worker(TS_BOOTSTRAP, { eval: true, workerData: { ...data, entry } }) : new Worker(entry, { workerData: data });
}
