#!/usr/bin/env node
// predict's two counters side by side on the real builds prepare.js laid out in DIR: the kernel's
// syscall tracepoints (what predict uses where it can) and strace -f -c (the fallback), each
// build and size ROUNDS times in alternation (own run, strace, tracepoints), its clean-up before
// each. Prints, per build and size, the operation counts by class of each counter and the median
// wall time of the plain run and of each profiling run. Needs `npm run build` (dist/).
// usage: node scripts/large-builds/counters.js DIR [tsc,c,npm] [ROUNDS] [--sizes 1,4]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { profileCommand } = require('../../dist/calibrate/profile.js');

const args = process.argv.slice(2);
const dir = path.resolve(args[0] ?? fail('usage: counters.js DIR [tsc,c,npm] [ROUNDS] [--sizes 1,4]'));
const only = args[1] && !args[1].startsWith('--') ? args[1].split(',') : null;
const rounds = Number(args[2] && !args[2].startsWith('--') ? args[2] : 3);
const sizesAt = args.indexOf('--sizes');
const sizesArg = sizesAt >= 0 ? args[sizesAt + 1].split(',').map(Number) : null;
const builds = JSON.parse(fs.readFileSync(path.join(dir, 'builds.json'), 'utf8'));

function fail(message) {
  process.stderr.write(`counters.js: ${message}\n`);
  process.exit(2);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const sh = (command, cwd) => {
  const r = spawnSync('sh', ['-c', command], { cwd, stdio: 'ignore' });
  if (r.status !== 0) fail(`'${command}' in ${cwd} exited with ${r.status}`);
};

async function main() {
  const rows = [];
  for (const name of only ?? Object.keys(builds)) {
    const b = builds[name];
    const cwd = path.join(dir, b.cwd);
    for (const size of sizesArg ?? b.sizes) {
      const sub = (text) => text.replaceAll('{size}', String(size));
      const command = sub(b.command).split(' ');
      const own = [];
      const times = { strace: [], tracepoints: [] };
      const counts = {};
      for (let round = 0; round < rounds; round++) {
        sh(sub(b.clean), cwd);
        const t = performance.now();
        const r = spawnSync(command[0], command.slice(1), { cwd, stdio: 'ignore' });
        own.push(performance.now() - t);
        if (r.status !== 0) fail(`${command.join(' ')} exited with ${r.status}`);
        for (const counter of ['strace', 'tracepoints']) {
          sh(sub(b.clean), cwd);
          const p = await profileCommand(command, cwd, { counter });
          if (p.exitCode !== 0) fail(`${command.join(' ')} under ${counter} exited with ${p.exitCode}`);
          times[counter].push(p.elapsedMs);
          counts[counter] = p.counts;
        }
      }
      rows.push({
        build: name,
        size,
        ownMs: median(own),
        straceMs: median(times.strace),
        tracepointsMs: median(times.tracepoints),
        counts,
      });
      process.stderr.write(`counters.js: ${name} ${size} done (load ${os.loadavg()[0].toFixed(1)})\n`);
    }
  }
  const classes = Object.keys(rows[0].counts.strace);
  const n = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  const lines = [
    `| build | size | counter | ${classes.join(' | ')} | wall (median of ${rounds}) | / own |`,
    `|---|---:|---|${classes.map(() => '---:').join('|')}|---:|---:|`,
  ];
  for (const r of rows) {
    lines.push(`| ${r.build} | ${r.size} | (own run) | ${classes.map(() => '').join(' | ')} | ${r.ownMs.toFixed(0)} ms | 1.00x |`);
    for (const counter of ['strace', 'tracepoints']) {
      const ms = counter === 'strace' ? r.straceMs : r.tracepointsMs;
      lines.push(
        `| | | ${counter} | ${classes.map((c) => n(r.counts[counter][c])).join(' | ')} | ${ms.toFixed(0)} ms | ${(ms / r.ownMs).toFixed(2)}x |`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

void main().catch((error) => fail(error.message));
