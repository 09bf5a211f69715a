#!/usr/bin/env node
// Before/after: the same backends from two builds of sandbox-perf (e.g. a release and this checkout),
// prepared once, runs interleaved round by round (order reversed every other round; round 0 is a
// warm-up), wall time around backend.run(), medians per (workload, backend, build).
// usage (cwd = a scratch folder holding build.js and workload/ from `node workload/build.js --generate workload`):
//   node scripts/compare-builds.js OLD/dist NEW/dist ROUNDS BACKEND... ; OUT=file.json for the raw times
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const [, , baseDist, newDist, roundsArg, ...backends] = process.argv;
const rounds = Number(roundsArg);
const builds = { before: require(path.resolve(baseDist, 'index.js')), after: require(path.resolve(newDist, 'index.js')) };
const cwd = process.cwd();
const workloads = { 'node -e 0': ['node', '-e', '0'], build: ['node', 'build.js', 'workload'] };
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
(async () => {
  const prepared = {};
  for (const [label, lib] of Object.entries(builds))
    for (const b of ['none', ...backends]) {
      const be = lib.createBackend(b, { cwd });
      await be.prepare();
      prepared[`${label}/${b}`] = be;
    }
  const times = {};
  for (let r = 0; r < rounds + 1; r++) {
    for (const [wl, cmd] of Object.entries(workloads)) {
      const order = Object.keys(prepared);
      if (r % 2) order.reverse();
      for (const key of order) {
        const t0 = performance.now();
        const res = await prepared[key].run(cmd, { timeoutMs: 60000 });
        const ms = performance.now() - t0;
        if (res.outcome !== 'success') {
          console.error(`${key} ${wl}: ${res.outcome} ${res.error} ${res.stderr.slice(0, 300)}`);
          continue;
        }
        if (r === 0) continue; // warm-up round
        (times[`${wl}|${key}`] ??= []).push(ms);
      }
    }
  }
  for (const be of Object.values(prepared)) await be.teardown();
  const out = [];
  for (const wl of Object.keys(workloads))
    for (const b of backends) {
      const row = { workload: wl, backend: b };
      for (const label of Object.keys(builds)) {
        const none = median(times[`${wl}|${label}/none`] ?? [NaN]);
        const m = median(times[`${wl}|${label}/${b}`] ?? [NaN]);
        row[`${label}Ms`] = +m.toFixed(1);
        row[`${label}OverheadMs`] = +(m - none).toFixed(1);
        row[`${label}NoneMs`] = +none.toFixed(1);
        row[`${label}N`] = (times[`${wl}|${label}/${b}`] ?? []).length;
      }
      out.push(row);
    }
  console.table(out);
  fs.writeFileSync(process.env.OUT ?? 'beforeafter.json', JSON.stringify({ rounds, out, times }, null, 1));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
