#!/usr/bin/env node
// What a pool's refill costs (issue 25.1): one sandbox from the request to its agent's ready frame,
// for each pool backend given (default docker-pool and runc-pool), interleaved round by round (the
// order alternates), each sandbox removed (untimed) before the next round; medians of ROUNDS, with
// the background steps (create, start, agent ready). Then a stream of `true` runs at concurrency 4
// from a pool of size 4 (BURST runs, default 40, 0 to skip): runs per second and misses.
// A BACKEND written `NAME:node` runs the Node agent (SANDBOX_PERF_AGENT=off) instead of the C agent
// (native/agent.c), so that both agents alternate in the same rounds (issue 25); `runc-pool:runc`
// or `runc-pool:crun` starts runc-pool's containers with that runtime (SANDBOX_PERF_OCI_RUNTIME).
// usage: node scripts/pool-refill.js ROUNDS [BACKEND[:node|:runc|:crun]...]   (as root; from a checkout: loads src/)
'use strict';
require('../test/support/registerTs.js');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { openSource } = require('../src/runners/pool/sandboxSource.ts');
const { resolveSandboxOptions } = require('../src/runners/options.ts');
const { createPool } = require('../src/runners/pool/createPool.ts');
const { SandboxPerfMonitor } = require('../src/sandbox/SandboxPerfMonitor.ts');
const { resetAgentProgram } = require('../src/runners/pool/agentBinary.ts');

const [, , roundsArg, ...named] = process.argv;
const rounds = Number(roundsArg);
const backends = named.length > 0 ? named : ['docker-pool', 'runc-pool'];
const burst = Number(process.env.BURST ?? 40);
if (!(rounds >= 1)) {
  process.stderr.write('usage: node scripts/pool-refill.js ROUNDS [BACKEND[:node|:runc|:crun]...]\n');
  process.exit(2);
}
/** Opens `name`'s source or pool with the agent and runtime it asks for; the choice is made once, at open. */
async function withAgent(name, open) {
  const [backend, ...flags] = name.split(':');
  const keys = ['SANDBOX_PERF_AGENT', 'SANDBOX_PERF_OCI_RUNTIME'];
  const saved = keys.map((key) => process.env[key]);
  for (const flag of flags) {
    if (flag === 'node') process.env.SANDBOX_PERF_AGENT = 'off';
    else if (flag === 'runc' || flag === 'crun') process.env.SANDBOX_PERF_OCI_RUNTIME = flag;
    else throw new Error(`Expected \`${name}\` to be BACKEND[:node|:runc|:crun], got the flag \`${flag}\``);
  }
  resetAgentProgram();
  try {
    return await open(backend);
  } finally {
    keys.forEach((key, i) => {
      if (saved[i] === undefined) delete process.env[key];
      else process.env[key] = saved[i];
    });
    resetAgentProgram();
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ms) => `${ms.toFixed(1)} ms`;

(async () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-refill-'));
  fs.chmodSync(cwd, 0o755);
  const options = resolveSandboxOptions({ cwd });
  const sources = {};
  for (const name of backends) sources[name] = await withAgent(name, (backend) => openSource(backend, options));
  const times = Object.fromEntries(backends.map((name) => [name, { total: [], create: [], start: [], ready: [] }]));
  for (let round = 0; round <= rounds; round++) {
    const order = round % 2 ? [...backends].reverse() : backends;
    for (const name of order) {
      const t = performance.now();
      const sandbox = await sources[name].start();
      const total = performance.now() - t;
      await sandbox.dispose();
      // Round 0 warms both up (the first export, the engine's caches).
      if (round === 0) continue;
      const { createMs, attachMs, startMs, readyMs } = sandbox.lifecycle;
      times[name].total.push(total);
      times[name].create.push(createMs + attachMs);
      times[name].start.push(startMs);
      times[name].ready.push(readyMs);
    }
  }
  console.log(
    `refill (request to ready agent), ${rounds} rounds interleaved, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}:`,
  );
  for (const name of backends) {
    const t = times[name];
    console.log(
      `  ${name.padEnd(12)} median ${fmt(median(t.total))} (create ${fmt(median(t.create))}, start ${fmt(median(t.start))}, agent ready ${fmt(median(t.ready))}); min ${fmt(Math.min(...t.total))}, max ${fmt(Math.max(...t.total))}`,
    );
  }
  const [first, ...rest] = backends;
  for (const name of rest) console.log(`  ${first} / ${name}: ${(median(times[first].total) / median(times[name].total)).toFixed(2)}×`);
  if (burst > 0) {
    console.log(`${burst} runs of \`true\` at concurrency 4, pool size 4:`);
    for (const name of backends) {
      const pool = await withAgent(name, (backend) =>
        createPool(backend, { cwd, size: 4, monitor: new SandboxPerfMonitor({ sink: false }) }),
      );
      let next = 0;
      const t = performance.now();
      await Promise.all(
        [0, 1, 2, 3].map(async () => {
          while (next++ < burst) await pool.run(['true']);
        }),
      );
      const seconds = (performance.now() - t) / 1000;
      const { misses, runs } = pool.health();
      await pool.close();
      console.log(`  ${name.padEnd(12)} ${(burst / seconds).toFixed(1)} runs/s, ${misses} of ${runs} runs waited for a sandbox`);
    }
  }
  fs.rmSync(cwd, { recursive: true, force: true });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
