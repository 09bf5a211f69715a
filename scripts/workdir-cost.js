#!/usr/bin/env node
// What the working-directory modes cost (issue 23.2): the build workload of `npm start`
// (workload/build.js over its 2 000-file tree) on each backend with --workdir rw, overlay and ro,
// every (backend, mode) prepared once, runs interleaved round by round (order reversed every other
// round; round 0 is a warm-up), medians of the wall time around backend.run() and of commandMs,
// and each mode against rw of the same backend from the paired rounds (pairedComparison: the
// Hodges-Lehmann shift of the per-round differences, the ratio with its bootstrap interval).
// usage: node scripts/workdir-cost.js ROUNDS BACKEND... (after npm run build; as root: overlay mounts)
//        OUT=file.json for the raw times
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { createBackend, pairedComparison } = require('../dist/index.js');

const [, , roundsArg, ...backends] = process.argv;
const rounds = Number(roundsArg);
if (!(rounds >= 1) || backends.length === 0) {
  process.stderr.write('usage: node scripts/workdir-cost.js ROUNDS BACKEND...\n');
  process.exit(2);
}
const MODES = ['rw', 'overlay', 'ro'];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// The demo's layout: the tree and a copy of build.js under .sandbox-perf/ of the working directory.
const cwd = fs.mkdtempSync(path.join('/var/tmp', 'sandbox-perf-workdir-cost-'));
fs.chmodSync(cwd, 0o755);
const tree = path.join(cwd, '.sandbox-perf', 'workload');
fs.mkdirSync(tree, { recursive: true });
const script = path.join(cwd, '.sandbox-perf', 'build.js');
fs.copyFileSync(path.join(__dirname, '..', 'workload', 'build.js'), script);
execFileSync(process.execPath, [script, '--generate', tree]);
const command = ['node', '.sandbox-perf/build.js', '.sandbox-perf/workload'];

(async () => {
  const prepared = [];
  for (const backend of backends) {
    for (const workdir of MODES) {
      const options = { cwd, workdir, ...(backend.endsWith('-pool') ? { pool: { size: 1 } } : {}) };
      const instance = createBackend(backend, options);
      await instance.prepare();
      prepared.push({ key: `${backend}|${workdir}`, backend, workdir, instance });
    }
  }
  const times = {};
  for (let r = 0; r <= rounds; r++) {
    const order = r % 2 ? [...prepared].reverse() : prepared;
    for (const { key, instance } of order) {
      // A pool's refill must not run during the next timed run (compare waits for it the same way).
      if (typeof instance.settled === 'function') await instance.settled();
      const t0 = performance.now();
      const result = await instance.run(command, { timeoutMs: 120_000 });
      const ms = performance.now() - t0;
      if (result.outcome !== 'success') {
        process.stderr.write(`${key}: ${result.outcome} ${result.error} ${result.stderr.slice(0, 300)}\n`);
        continue;
      }
      if (r === 0) continue;
      const entry = (times[key] ??= { wall: [], byRound: {}, command: [], layer: [] });
      entry.wall.push(ms);
      entry.byRound[r] = ms;
      if (typeof result.commandMs === 'number') entry.command.push(result.commandMs);
      entry.layer.push((result.phases.layer ?? 0) + (result.phases.keep ?? 0) + (result.phases.discard ?? 0));
    }
  }
  for (const { instance } of prepared) await instance.teardown();
  fs.rmSync(cwd, { recursive: true, force: true });
  const rows = [];
  for (const backend of backends) {
    const rw = times[`${backend}|rw`];
    for (const workdir of MODES) {
      const t = times[`${backend}|${workdir}`];
      if (!t || !rw) continue;
      const wall = median(t.wall);
      const paired = Object.keys(t.byRound).filter((r) => r in rw.byRound);
      const cmp = pairedComparison(
        paired.map((r) => t.byRound[r]),
        paired.map((r) => rw.byRound[r]),
      );
      rows.push({
        shiftMs: cmp.hodgesLehmannMs === null ? null : +cmp.hodgesLehmannMs.toFixed(1),
        ratioCi: cmp.ratio === null ? null : [+cmp.ratio.low.toFixed(2), +cmp.ratio.high.toFixed(2)],
        backend,
        workdir,
        n: t.wall.length,
        wallMs: +wall.toFixed(1),
        vsRwMs: +(wall - median(rw.wall)).toFixed(1),
        ratio: +(wall / median(rw.wall)).toFixed(3),
        commandMs: +median(t.command).toFixed(1),
        layerPhasesMs: +median(t.layer).toFixed(1),
      });
    }
  }
  const load = os.loadavg().map((l) => l.toFixed(1));
  process.stdout.write(`node ${process.version}, ${os.cpus().length} CPUs, load ${load.join(' ')}, ${rounds} rounds\n`);
  process.stdout.write(
    '| backend | workdir | n | wall median ms | median − rw ms | paired shift ms (HL) | ratio of sums [95 %] | commandMs median | layer+keep+discard ms |\n',
  );
  process.stdout.write('|---|---|---:|---:|---:|---:|---:|---:|---:|\n');
  const signed = (x) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${x}`);
  for (const r of rows) {
    const ci = r.ratioCi === null ? '–' : `[${r.ratioCi[0]}, ${r.ratioCi[1]}]`;
    process.stdout.write(
      `| ${r.backend} | ${r.workdir} | ${r.n} | ${r.wallMs} | ${signed(r.vsRwMs)} | ${signed(r.shiftMs)} | ${ci} | ${r.commandMs} | ${r.layerPhasesMs} |\n`,
    );
  }
  if (process.env.OUT) fs.writeFileSync(process.env.OUT, JSON.stringify({ rows, times }, null, 1));
})().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
