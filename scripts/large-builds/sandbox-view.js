#!/usr/bin/env node
// What a command sees and does inside a strict sandbox against `none` (issue 26: bubblewrap on
// tsc cost +58 ms [+19 … +97] where every calibrated class read ~0). Three parts, in DIR:
//   1. node's own view of the machine on each backend (the built CLI's `run`): CPUs, parallelism,
//      V8's heap limit, memory, cgroup limit, uid, HOME, /sys, seccomp, scheduling group (a session's autogroup);
//   2. the command's system calls by name, counted inside each backend (`strace -f -c` run by the
//      backend itself), the calls whose count or failures differ;
//   3. ROUNDS paired rounds, the order rotated every round, of the exact command lines `run
//      --print-command` gives, each timed by the launcher inside (wall and CPU of the command, no
//      sandbox set-up): none; none in a session of its own (setsid: the scheduler's autogroup per
//      session); the sandbox; bubblewrap without --new-session. Each against none, mean and 95 % t
//      interval, with the load average.
// Needs `npm run build` (dist/) and strace. DIR must be enterable by uid 65534 (0755).
// usage: node scripts/large-builds/sandbox-view.js DIR [--sandbox bubblewrap] [--rounds 20]
//          [--clean 'rm -rf out1'] -- COMMAND...
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseStraceSummary } = require('../../dist/calibrate/profile.js');
const { meanInterval } = require('../../dist/stats/intervals.js');

const CLI = path.join(__dirname, '../../dist/cli/main.js');
const history = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-view-'));
const db = path.join(history, 'h.db');
const USAGE = "usage: sandbox-view.js DIR [--sandbox bubblewrap] [--rounds 20] [--clean 'CMD'] -- COMMAND...";
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
if (dash < 1 || dash === argv.length - 1) fail(USAGE);
const command = argv.slice(dash + 1);
const dir = path.resolve(argv[0]);
const flag = (name, fallback) => {
  const at = argv.indexOf(name);
  return at >= 0 && at < dash ? argv[at + 1] : fallback;
};
const sandbox = flag('--sandbox', 'bubblewrap');
const rounds = Number(flag('--rounds', '20'));
const clean = flag('--clean', null);
if (!Number.isInteger(rounds) || rounds < 2) fail(`expected --rounds to be an integer >= 2, got ${JSON.stringify(flag('--rounds'))}`);

/** What this script made: its history, the sandbox root `--print-command` keeps. */
const made = [history];
function fail(message) {
  for (const p of made) fs.rmSync(p, { recursive: true, force: true });
  process.stderr.write(`sandbox-view.js: ${message}\n`);
  process.exit(2);
}

function cli(args) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) fail(`sandbox-perf ${args.slice(0, 3).join(' ')} … exited with ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  return r.stdout;
}

const cleanUp = () => clean !== null && spawnSync('sh', ['-c', clean], { cwd: dir, stdio: 'ignore' });

// Part 1. What node reads about the machine (each field a value node, V8 or libuv size something by).
const PROBE = `const os = require('os'), v8 = require('v8'), fs = require('fs');
const read = (p) => { try { return fs.readFileSync(p, 'utf8').trim(); } catch (e) { return e.code; } };
const status = read('/proc/self/status');
const field = (n) => (new RegExp('^' + n + ':\\\\s*(.*)$', 'm').exec(status) || [])[1];
console.log(JSON.stringify({ cpus: os.cpus().length, availableParallelism: os.availableParallelism(),
  heapSizeLimit: v8.getHeapStatistics().heap_size_limit, totalmem: os.totalmem(), constrainedMemory: process.constrainedMemory(),
  uid: process.getuid(), home: os.homedir(), env: Object.keys(process.env).sort().join(' '),
  sysCpuOnline: read('/sys/devices/system/cpu/online'), threads: fs.readdirSync('/proc/self/task').length,
  seccomp: field('Seccomp'), noNewPrivs: field('NoNewPrivs'), speculationStoreBypass: field('Speculation_Store_Bypass'),
  autogroup: read('/proc/self/autogroup') }));`;
const views = Object.fromEntries(
  ['none', sandbox].map((b) => [
    b,
    JSON.parse(cli(['run', '--sandbox', b, '--db', db, '--', 'node', '-e', PROBE]).trim().split('\n').pop()),
  ]),
);
console.log(`## What node sees (none | ${sandbox})\n`);
for (const key of Object.keys(views.none)) {
  const [a, b] = [views.none[key], views[sandbox][key]].map((v) => JSON.stringify(v));
  console.log(`${a === b ? ' ' : '*'} ${key}: ${a}${a === b ? '' : ` | ${b}`}`);
}

// Part 2. The command's system calls, counted inside each backend.
const calls = {};
for (const b of ['none', sandbox]) {
  cleanUp();
  const out = path.join(dir, `.sandbox-view-strace-${b}.txt`);
  cli(['run', '--sandbox', b, '--db', db, '--', 'strace', '-f', '-c', '-U', 'calls,errors,name', '-o', out, '--', ...command]);
  calls[b] = parseStraceSummary(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
}
const names = [...new Set([...Object.keys(calls.none), ...Object.keys(calls[sandbox])])];
const total = (b) => names.reduce((s, n) => s + (calls[b][n]?.calls ?? 0), 0);
console.log(
  `\n## System calls (strace -f -c inside each): ${total('none')} on none, ${total(sandbox)} on ${sandbox}; differing by more than 5 % or in failures:\n`,
);
for (const n of names) {
  const [a, b] = [calls.none[n] ?? { calls: 0, errors: 0 }, calls[sandbox][n] ?? { calls: 0, errors: 0 }];
  if (Math.abs(a.calls - b.calls) > Math.max(5, 0.05 * a.calls) || a.errors !== b.errors) {
    console.log(`  ${n}: ${a.calls} (${a.errors} failed) | ${b.calls} (${b.errors} failed)`);
  }
}

// Part 3. Paired rounds of the exact lines, timed by the launcher inside.
const line = (b) => JSON.parse(cli(['run', '--sandbox', b, '--print-command', '--json', '--', ...command]));
const box = line(sandbox);
if (box.prepared) made.push(box.prepared);
const launcherAt = box.argv.findIndex((a, i) => a.endsWith('/sandbox-perf-launcher') && box.argv[i + 1] === '3');
if (launcherAt < 0) fail(`${sandbox}'s command line has no launcher on descriptor 3: ${box.argv.join(' ')}`);
const launcher = box.argv[launcherAt];
const timed = (prefix) => [...prefix, launcher, '3', ...command];
const variants = {
  none: timed([]),
  'none, setsid': timed(['setsid', '-w']),
  [sandbox]: box.argv,
};
if (sandbox === 'bubblewrap') variants['bubblewrap without --new-session'] = box.argv.filter((a) => a !== '--new-session');

function timedRun(args) {
  cleanUp();
  return new Promise((resolve, reject) => {
    const child = spawn(args[0], args.slice(1), { cwd: dir, env: box.env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let report = '';
    let stderr = '';
    child.stdio[3].on('data', (d) => (report += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    child.on('close', (code) => {
      // sandbox-perf-launcher 1 <start ns> <end ns> <wait status> <user us> <system us> <max rss KiB>
      const f = report.trim().split(/\s+/);
      if (code !== 0 || f.length < 8)
        reject(new Error(`${args.slice(0, 3).join(' ')} … exited ${code}: ${stderr.trim().split('\n').pop()}`));
      else resolve({ wallMs: (Number(f[3]) - Number(f[2])) / 1e6, cpuMs: (Number(f[5]) + Number(f[6])) / 1000 });
    });
  });
}

async function main() {
  const keys = Object.keys(variants);
  const runs = Object.fromEntries(keys.map((k) => [k, []]));
  const loads = [];
  for (let r = 0; r < rounds; r++) {
    // Rotated every round: each variant runs in every position and after every other one.
    const order = keys.map((_, i) => keys[(i + r) % keys.length]);
    if (r % 2 === 1) order.reverse();
    for (const k of order) runs[k].push(await timedRun(variants[k]));
    loads.push(os.loadavg()[0]);
  }
  const f = (v) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
  console.log(
    `\n## ${rounds} paired rounds, the order rotated (load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}); the command's own time, against none, ms:\n`,
  );
  for (const k of keys) {
    const wall = runs[k].map((x) => x.wallMs);
    const cpu = runs[k].map((x) => x.cpuMs);
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    let text = `  ${k}: wall median ${med(wall).toFixed(0)}, CPU median ${med(cpu).toFixed(0)}`;
    if (k !== 'none') {
      const dw = meanInterval(wall.map((v, i) => v - runs.none[i].wallMs));
      const dc = meanInterval(cpu.map((v, i) => v - runs.none[i].cpuMs));
      text += `; in command ${f(dw.estimate)} [${f(dw.low)} … ${f(dw.high)}], CPU ${f(dc.estimate)} [${f(dc.low)} … ${f(dc.high)}]`;
    }
    console.log(text);
  }
}

main().then(
  () => made.forEach((p) => fs.rmSync(p, { recursive: true, force: true })),
  (error) => fail(error.message),
);
