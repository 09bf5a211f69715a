#!/usr/bin/env node
// Where a fresh sandbox's time and CPU go (issue 25), in two parts.
// 1. runc-pool, SANDBOXES sandboxes one after the other (a warm-up one dropped): wall time of
//    `run --detach` (crun's or runc's: the runtime runc-pool chooses, or SANDBOX_PERF_OCI_RUNTIME),
//    of the agent's ready frame and of the removal; CPU of the runtime's processes this runner
//    waits for (`run`, `delete`, or an attached crun at its end: /proc/self/stat's children times, 10 ms ticks) and of the
//    container's cgroup at ready (runc's `runc init` or crun's child, and the agent:
//    cpuacct.usage). Medians per sandbox, and means of the CPU.
// 2. The bench's gated cell (32 runs of `true`, 4 in flight, pools of 4) on each backend given
//    (default docker runc-pool): CPU per run of this runner, of the processes it waited for, and
//    of dockerd + containerd. (A Docker container's shim and runc are reaped by PID 1: not counted.)
// usage: node scripts/refill-cpu.js SANDBOXES [BACKEND...]   (as root; from a checkout: loads src/)
'use strict';
require('../test/support/registerTs.js');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { measureLoad, settleAll } = require('../src/compare/throughput.ts');
const { describeFailure, measured } = require('../src/compare/compareBackends.ts');
const { createBackend } = require('../src/runners/createBackend.ts');
const { resolveSandboxOptions } = require('../src/runners/options.ts');
const { openSource } = require('../src/runners/pool/sandboxSource.ts');

const [, , countArg, ...named] = process.argv;
const count = Number(countArg);
const backends = named.length > 0 ? named : ['docker', 'runc-pool'];
if (!(count >= 1)) {
  process.stderr.write('usage: node scripts/refill-cpu.js SANDBOXES [BACKEND...]\n');
  process.exit(2);
}
const RUNS = 32;
const CPUACCT = '/sys/fs/cgroup/cpuacct/sandbox-perf';
const TICK_MS = 10;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** utime + stime (self) and cutime + cstime (waited-for children) of a process, in ms. */
function times(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { self: (Number(f[11]) + Number(f[12])) * TICK_MS, children: (Number(f[13]) + Number(f[14])) * TICK_MS };
  } catch {
    return { self: 0, children: 0 };
  }
}
const pids = (name) => {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
};
const daemons = () => [...pids('dockerd'), ...pids('containerd')].reduce((sum, pid) => sum + times(pid).self + times(pid).children, 0);

async function refills(cwd) {
  const source = await openSource('runc-pool', resolveSandboxOptions({ cwd }));
  const rows = [];
  for (let i = 0; i <= count; i++) {
    const groups = new Set(fs.readdirSync(CPUACCT));
    const c0 = times('self').children;
    const t0 = performance.now();
    const sandbox = await source.start();
    const total = performance.now() - t0;
    const c1 = times('self').children;
    const group = fs.readdirSync(CPUACCT).find((g) => !groups.has(g) && g.startsWith('runc-'));
    const init = group ? Number(fs.readFileSync(path.join(CPUACCT, group, 'cpuacct.usage'), 'utf8')) / 1e6 : Number.NaN;
    const remove = await sandbox.dispose();
    const c2 = times('self').children;
    if (i > 0)
      rows.push({ total, start: sandbox.lifecycle.startMs, ready: sandbox.lifecycle.readyMs, remove, run: c1 - c0, init, del: c2 - c1 });
  }
  const m = (k) => median(rows.map((r) => r[k])).toFixed(1);
  const a = (k) => mean(rows.map((r) => r[k])).toFixed(1);
  const rt = source.runtime;
  console.log(`runc-pool on ${rt}, ${count} sandboxes one after the other, load ${os.loadavg()[0].toFixed(1)}:`);
  console.log(
    `  wall (medians): request to ready ${m('total')} ms (${rt} run --detach ${m('start')}, agent ready ${m('ready')}); removal ${m('remove')} ms`,
  );
  // crun runs attached (attachedContainer.ts): its CPU, the container's whole life included, is counted when it ends, at removal.
  const [run, del] = rt === 'crun' ? ['crun run until ready', 'crun at its end (the container included)'] : [`${rt} run`, `${rt} delete`];
  console.log(
    `  CPU (means): ${run} ${a('run')} ms, its container's set-up + agent in the container's cgroup ${a('init')} ms, ${del} ${a('del')} ms`,
  );
}

async function cell(name, cwd) {
  const backend = createBackend(name, { cwd, pool: { size: 4 } });
  await backend.prepare();
  try {
    await backend.run(['true'], { maxOutputBytes: 0 });
    await settleAll([backend]);
    const cpu0 = process.cpuUsage();
    const c0 = times('self').children;
    const d0 = daemons();
    const figures = await measureLoad(backend, { mode: 'closed', concurrency: 4 }, RUNS, {
      command: ['true'],
      runOptions: { maxOutputBytes: 0 },
      measured: (result) => measured(result, undefined),
      describeFailure,
    });
    await settleAll([backend]);
    const cpu = process.cpuUsage(cpu0);
    const per = (ms) => (ms / RUNS).toFixed(1);
    console.log(
      `  ${name.padEnd(10)} ${figures.runsPerSecond.toFixed(2)} runs/s, load ${os.loadavg()[0].toFixed(1)}; CPU per run: runner ${per((cpu.user + cpu.system) / 1000)} ms,` +
        ` its children ${per(times('self').children - c0)} ms, dockerd + containerd ${per(daemons() - d0)} ms`,
    );
  } finally {
    await backend.teardown();
  }
}

(async () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-refill-cpu-'));
  fs.chmodSync(cwd, 0o755);
  await refills(cwd);
  console.log(`${RUNS} runs of \`true\` at concurrency 4, pools of 4:`);
  for (const name of backends) await cell(name, cwd);
  fs.rmSync(cwd, { recursive: true, force: true });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
