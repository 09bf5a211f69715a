#!/usr/bin/env node
// Builds native/bin/sandbox-perf-launcher, the timer that runs next to each sandboxed command
// (native/launcher.c), at install time, the way better-sqlite3 builds its native part. Static when
// the C library allows it, so that the same file also runs inside a container of another
// distribution. Without a C compiler nothing is built and sandbox-perf times commands from Node
// (it says so once); the install never fails because of this.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'native', 'launcher.c');
const outDir = path.join(root, 'native', 'bin');
const out = path.join(outDir, 'sandbox-perf-launcher');
const cc = process.env.CC || 'cc';

function compile(extra) {
  const result = spawnSync(cc, ['-O2', '-Wall', ...extra, '-o', `${out}.tmp`, source], { encoding: 'utf8' });
  return result.error ? { ok: false, why: result.error.message } : { ok: result.status === 0, why: (result.stderr || '').trim() };
}

if (process.platform !== 'linux') {
  console.log(`sandbox-perf: the launcher timer is Linux-only; commands on ${process.platform} are timed from Node`);
  process.exit(0);
}
if (!fs.existsSync(source)) process.exit(0);
fs.mkdirSync(outDir, { recursive: true });
let built = compile(['-static']);
let kind = 'static';
if (!built.ok) {
  built = compile([]);
  kind = 'dynamic';
}
if (!built.ok) {
  fs.rmSync(`${out}.tmp`, { force: true });
  console.log(`sandbox-perf: no launcher timer built (${cc}: ${built.why.split('\n').pop() || 'failed'}); commands are timed from Node`);
  process.exit(0);
}
fs.renameSync(`${out}.tmp`, out);
console.log(`sandbox-perf: built the launcher timer (${kind}) at ${path.relative(root, out)}`);
