/*
 * The ESM entry (dist/index.mjs, written by scripts/esm-wrapper.js at build time) must export every
 * name the CommonJS entry does, as the same objects. `npm test` builds dist/ before Jest runs.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const dist = path.resolve(__dirname, '../../dist');

test('dist/index.mjs exports exactly the CommonJS names, as the same objects', () => {
  const script = `
    import { createRequire } from 'node:module';
    const esm = await import(${JSON.stringify(path.join(dist, 'index.mjs'))});
    const cjs = createRequire(import.meta.url)(${JSON.stringify(path.join(dist, 'index.js'))});
    const names = Object.keys(cjs).filter((n) => n !== '__esModule').sort();
    const differing = names.filter((n) => esm[n] !== cjs[n]);
    console.log(JSON.stringify({ esm: Object.keys(esm).sort(), cjs: names, differing }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as {
    esm: string[];
    cjs: string[];
    differing: string[];
  };
  expect(out.esm).toEqual(out.cjs);
  expect(out.esm).toContain('SandboxPerfMonitor');
  expect(out.differing).toEqual([]);
});
