#!/usr/bin/env node
// Builds sandbox-perf's native programs at install time, the way better-sqlite3 builds its native
// part: native/bin/sandbox-perf-launcher, the timer next to each sandboxed command (native/launcher.c);
// native/bin/sandbox-perf-guard, the seccomp filter that keeps host Unix sockets out of the
// command's reach (native/guard.c); native/bin/sandbox-perf-agent, the pooled containers' agent
// (native/agent.c); native/bin/sandbox-perf-crunv1, which lets runc-pool's crun see a hybrid host's cgroup
// v1 hierarchies only (native/crunv1.c); and native/bin/sandbox-perf-spawner, which starts and times
// every host run (native/spawner.c); native/bin/sandbox-perf-calib, the workloads `calibrate` times and the
// counter `predict` profiles a command with (native/calib.c). Static when the C library allows it, so that the same files
// also run inside a container of another distribution. Without a C compiler nothing is built:
// sandbox-perf then starts and times commands from Node, and the backends that need the guard say
// they are unavailable and why; the install never fails because of this.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'native', 'bin');
const cc = process.env.CC || 'cc';
const PROGRAMS = [
  { source: 'launcher.c', name: 'sandbox-perf-launcher', what: 'the launcher timer', without: 'commands are timed from Node' },
  {
    source: 'guard.c',
    name: 'sandbox-perf-guard',
    what: 'the socket guard',
    without: 'unshare, bubblewrap and the runc Docker backends are unavailable',
  },
  {
    source: 'agent.c',
    name: 'sandbox-perf-agent',
    what: 'the pool agent',
    without: "the pools' containers run the Node agent (slower to start)",
  },
  {
    source: 'crunv1.c',
    name: 'sandbox-perf-crunv1',
    what: "crun's cgroup v1 view",
    without: 'runc-pool starts its containers with runc on a hybrid cgroup host',
  },
  { source: 'spawner.c', name: 'sandbox-perf-spawner', what: 'the spawner', without: 'host runs are started and timed from Node' },
  {
    source: 'calib.c',
    name: 'sandbox-perf-calib',
    what: 'the calibration workloads',
    without: 'calibrate and predict are unavailable',
  },
];

function compile(source, out, extra) {
  const result = spawnSync(cc, ['-O2', '-Wall', ...extra, '-o', `${out}.tmp`, source], { encoding: 'utf8' });
  return result.error ? { ok: false, why: result.error.message } : { ok: result.status === 0, why: (result.stderr || '').trim() };
}

function build({ source: file, name, what, without }) {
  const source = path.join(root, 'native', file);
  const out = path.join(outDir, name);
  if (!fs.existsSync(source)) return;
  let built = compile(source, out, ['-static']);
  let kind = 'static';
  if (!built.ok) {
    built = compile(source, out, []);
    kind = 'dynamic';
  }
  if (!built.ok) {
    fs.rmSync(`${out}.tmp`, { force: true });
    console.log(`sandbox-perf: no ${what} built (${cc}: ${built.why.split('\n').pop() || 'failed'}); ${without}`);
    return;
  }
  fs.renameSync(`${out}.tmp`, out);
  console.log(`sandbox-perf: built ${what} (${kind}) at ${path.relative(root, out)}`);
}

if (process.platform !== 'linux') {
  console.log(
    `sandbox-perf: the launcher timer, the socket guard and the spawner are Linux-only; commands on ${process.platform} are timed from Node`,
  );
  process.exit(0);
}
fs.mkdirSync(outDir, { recursive: true });
for (const program of PROGRAMS) build(program);
