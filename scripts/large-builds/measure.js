#!/usr/bin/env node
// Runs `sandbox-perf compare --scale` on each build prepare.js laid out in DIR (DIR/builds.json),
// on the backends given, and writes DIR/results/BUILD.json (--export-json) and BUILD.txt (the text).
// The Docker backends run in the toolchain image (.ci/build-toolchain-image.sh).
// usage: node scripts/large-builds/measure.js DIR BACKENDS [ROUNDS] [tsc,c,npm] [--at N]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const [dirArg, backends, roundsArg = '5', onlyArg, ...rest] = process.argv.slice(2);
if (!dirArg || !backends) {
  process.stderr.write('usage: measure.js DIR BACKENDS [ROUNDS] [tsc,c,npm] [--at N]\n');
  process.exit(2);
}
const dir = path.resolve(dirArg);
const builds = JSON.parse(fs.readFileSync(path.join(dir, 'builds.json'), 'utf8'));
const cli = path.resolve(__dirname, '../../dist/cli/main.js');
const names = { tsc: 'copies', c: 'copies', npm: 'packages' };
const at = rest.includes('--at') ? ['--at', rest[rest.indexOf('--at') + 1]] : [];
fs.mkdirSync(path.join(dir, 'results'), { recursive: true });
for (const name of (onlyArg ?? Object.keys(builds).join(',')).split(',')) {
  const b = builds[name];
  const unit = names[name];
  const sub = (text) => text.replaceAll('{size}', `{${unit}}`);
  const cwd = path.join(dir, b.cwd);
  const args = [
    cli,
    'compare',
    '--sandbox',
    backends,
    '--scale',
    b.sizes.join(','),
    '--scale-name',
    unit,
    ...at,
    '-r',
    roundsArg,
    '-w',
    '1',
    '-p',
    sub(b.clean),
    '--style',
    'basic',
    '--timeout',
    '600000',
    '--db',
    path.join(path.dirname(dir), `${path.basename(dir)}-history.db`),
    '--export-json',
    path.join(dir, 'results', `${name}.json`),
    '--',
    ...sub(b.command).split(' '),
  ];
  process.stderr.write(`measure.js: ${name} in ${cwd}\n`);
  const r = spawnSync(process.execPath, args, {
    cwd,
    env: { ...process.env, SANDBOX_PERF_DOCKER_IMAGE: process.env.SANDBOX_PERF_DOCKER_IMAGE ?? 'sandbox-perf/toolchain:local' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  fs.writeFileSync(path.join(dir, 'results', `${name}.txt`), r.stdout);
  process.stdout.write(r.stdout);
  if (r.status !== 0) {
    process.stderr.write(`measure.js: ${name}: compare exited ${r.status}\n`);
    process.exitCode = 1;
  }
}
