#!/usr/bin/env node
// Whether the baseline's own command time in compare and predict --check (issue 26: none's tsc
// 1 554 ms against docker's 1 471 and bubblewrap's 1 483) comes from how `none` runs it. Paired
// rounds in compare's balanced (Williams) order, the clean command (-p) before every run as
// compare's prepare hook runs it, each run through the library's own backends (dist/), against
// `none` as compare runs it (the spawner execs the command itself, in its cgroup v1 pids group):
//   none-nogroup   the same, without the pids group (a tool that joins no group);
//   none-launcher  the same group, timed by the launcher the sandboxes use instead of the spawner;
//   none-settle    none, the run started SETTLE ms after the clean command (the time a sandbox's
//                  set-up gives the deletion's deferred work before its command starts);
//   any backend name (bubblewrap, docker, gvisor, ...), as compare runs it.
// Prints, per variant, the medians of the command's wall (commandMs) and CPU (user, system) and
// each one's paired difference to the first variant with its 95 % t interval, with the load.
// Needs `npm run build` (dist/); docker runs in $SANDBOX_PERF_DOCKER_IMAGE.
// usage: node scripts/large-builds/baseline-view.js DIR VARIANTS [--rounds 20] [--clean 'CMD']
//          [--settle 250] [--out RUNS.json] -- COMMAND...
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createBackend } = require('../../dist/runners/createBackend.js');
const { HostBackend } = require('../../dist/runners/host/HostBackend.js');
const { noneTool } = require('../../dist/runners/host/none.js');
const { runHook } = require('../../dist/compare/hooks.js');
const { balancedOrder } = require('../../dist/stats/balancedOrder.js');
const { meanInterval } = require('../../dist/stats/intervals.js');

const USAGE = "usage: baseline-view.js DIR VARIANTS [--rounds 20] [--clean 'CMD'] [--settle 250] [--out RUNS.json] -- COMMAND...";
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
if (dash < 2 || dash === argv.length - 1) fail(USAGE);
const [dirArg, variantsArg] = argv;
const dir = path.resolve(dirArg);
const command = argv.slice(dash + 1);
const flag = (name, fallback) => {
  const at = argv.indexOf(name);
  return at >= 0 && at < dash ? argv[at + 1] : fallback;
};
const rounds = Number(flag('--rounds', '20'));
const clean = flag('--clean', null);
const settleMs = Number(flag('--settle', '250'));
const out = flag('--out', null);
if (!Number.isInteger(rounds) || rounds < 2) fail(`expected --rounds to be an integer >= 2, got ${flag('--rounds')}`);
if (!Number.isFinite(settleMs) || settleMs < 0) fail(`expected --settle to be a number of ms >= 0, got ${flag('--settle')}`);
const variants = variantsArg.split(',');

function fail(message) {
  process.stderr.write(`baseline-view.js: ${message}\n`);
  process.exit(2);
}

function backendOf(variant) {
  const options = { cwd: dir };
  // limitsTasks: the tool holds its tasks itself, so no pids group; contain false: no freezer group either.
  if (variant === 'none-nogroup') return new HostBackend({ ...noneTool, limitsTasks: () => true, contain: false }, options);
  // Not bare: the spawner execs the launcher, which times the command as inside a sandbox.
  if (variant === 'none-launcher') return new HostBackend({ ...noneTool, bare: false }, options);
  return createBackend(variant === 'none-settle' ? 'none' : variant, options);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function timedRun(backend, variant) {
  // As compare runs its prepare hook (-p) before each run.
  if (clean !== null) await runHook('prepare', clean, variant.startsWith('none') ? 'none' : variant, { cwd: dir, timeoutMs: 60_000 });
  if (variant === 'none-settle') await sleep(settleMs);
  const r = await backend.run(command, { maxOutputBytes: 0 });
  if (r.outcome !== 'success') throw new Error(`${variant}: ${r.error} ${r.stderr.trim().split('\n').pop() ?? ''}`);
  const cpu = r.cpuTimes ?? { userMs: NaN, systemMs: NaN };
  return { wallMs: r.commandMs, userMs: cpu.userMs, systemMs: cpu.systemMs, cpuMs: cpu.userMs + cpu.systemMs };
}

async function main() {
  const backends = [];
  try {
    for (const v of variants) {
      const backend = backendOf(v);
      await backend.prepare();
      backends.push(backend);
    }
    const runs = variants.map(() => []);
    for (let i = 0; i < variants.length; i++) await timedRun(backends[i], variants[i]); // warm-up, not kept
    const loads = [];
    for (let r = 0; r < rounds; r++) {
      for (const i of balancedOrder(variants.length, r)) runs[i].push(await timedRun(backends[i], variants[i]));
      loads.push(os.loadavg()[0]);
    }
    report(runs, loads);
    if (out !== null) fs.writeFileSync(out, JSON.stringify({ variants, command, clean, rounds, loads, runs }));
  } finally {
    for (const b of backends) await b.teardown().catch(() => undefined);
  }
}

function report(runs, loads) {
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const f = (v) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
  const interval = (xs) => {
    const m = meanInterval(xs);
    return `${f(m.estimate)} [${f(m.low)} … ${f(m.high)}]`;
  };
  console.log(
    `## ${rounds} rounds, Williams order, clean ${JSON.stringify(clean)}, load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} (2 cores); ms`,
  );
  const base = runs[0];
  variants.forEach((v, i) => {
    const rs = runs[i];
    let text = `  ${v.padEnd(14)} wall ${med(rs.map((x) => x.wallMs)).toFixed(0)}, CPU ${med(rs.map((x) => x.cpuMs)).toFixed(0)} (user ${med(rs.map((x) => x.userMs)).toFixed(0)}, system ${med(rs.map((x) => x.systemMs)).toFixed(0)})`;
    if (i > 0) {
      const diff = (key) => interval(rs.map((x, k) => x[key] - base[k][key]));
      text += `; against ${variants[0]}: wall ${diff('wallMs')}, CPU ${diff('cpuMs')}, system ${diff('systemMs')}`;
    }
    console.log(text);
  });
}

main().catch((error) => fail(error.message));
