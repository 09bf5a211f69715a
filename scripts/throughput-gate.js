#!/usr/bin/env node
// The bench's 10× throughput gate (issue 25: at concurrency 4, a pool's runs of `true` per second
// against docker's) without the rest of `npm run bench -- --only throughput`: the same cell as
// bench/throughput.ts (a backend prepared, pools sized 4, one warm-up run, the pool settled, then
// RUNS runs of `true` with 4 in flight, measured by compare's measureLoad), for each backend given,
// interleaved round by round (the order alternates) so that every backend sees the same load.
// A BACKEND written `NAME:node` runs its pool with the Node agent (SANDBOX_PERF_AGENT=off);
// `runc-pool:runc` or `runc-pool:crun` starts runc-pool's containers with that runtime
// (SANDBOX_PERF_OCI_RUNTIME; plain `runc-pool` uses crun when it can, as the product does).
// Each line names the runtime that started the pool's sandboxes (health().runtime).
// usage: node scripts/throughput-gate.js ROUNDS [BACKEND[:node|:runc|:crun]...]   (default docker runc-pool; RUNS=32)
'use strict';
require('../test/support/registerTs.js');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { measureLoad, settleAll } = require('../src/compare/throughput.ts');
const { describeFailure, measured } = require('../src/compare/compareBackends.ts');
const { createBackend } = require('../src/runners/createBackend.ts');
const { resetAgentProgram } = require('../src/runners/pool/agentBinary.ts');

const [, , roundsArg, ...named] = process.argv;
const rounds = Number(roundsArg);
const backends = named.length > 0 ? named : ['docker', 'runc-pool'];
const runs = Number(process.env.RUNS ?? 32);
const CONCURRENCY = 4;
if (!(rounds >= 1) || !(runs >= 1)) {
  process.stderr.write('usage: node scripts/throughput-gate.js ROUNDS [BACKEND[:node|:runc|:crun]...]\n');
  process.exit(2);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const load = () => os.loadavg()[0].toFixed(1);

/** Sets `env` while `body` runs (the agent and the runtime are chosen at prepare), then restores it. */
async function withEnv(env, body) {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  resetAgentProgram();
  try {
    return await body();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    resetAgentProgram();
  }
}

/** One bench cell of `name`, its agent and runtime chosen at prepare. */
async function cell(name, dir) {
  const [backendName, ...flags] = name.split(':');
  const env = {};
  for (const flag of flags) {
    if (flag === 'node') env.SANDBOX_PERF_AGENT = 'off';
    else if (flag === 'runc' || flag === 'crun') env.SANDBOX_PERF_OCI_RUNTIME = flag;
    else throw new Error(`Expected \`${name}\` to be BACKEND[:node|:runc|:crun], got the flag \`${flag}\``);
  }
  const backend = createBackend(backendName, { cwd: dir, pool: { size: CONCURRENCY } });
  await withEnv(env, () => backend.prepare());
  try {
    await backend.run(['true'], { maxOutputBytes: 0 });
    await settleAll([backend]);
    const figures = await measureLoad(backend, { mode: 'closed', concurrency: CONCURRENCY }, runs, {
      command: ['true'],
      runOptions: { maxOutputBytes: 0 },
      measured: (result) => measured(result, undefined),
      describeFailure,
    });
    return { figures, runtime: typeof backend.health === 'function' ? backend.health().runtime : null };
  } finally {
    await backend.teardown();
  }
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-gate-'));
  fs.chmodSync(dir, 0o755);
  const rates = Object.fromEntries(backends.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...backends].reverse() : backends;
    for (const name of order) {
      const before = load();
      const { figures, runtime } = await cell(name, dir);
      rates[name].push(figures.runsPerSecond);
      const waited = figures.waits ? `, ${figures.waits.waited} waited` : '';
      console.log(
        `round ${round + 1} ${name}${runtime ? ` (${runtime})` : ''}: ${figures.runsPerSecond.toFixed(2)} runs/s (${figures.failures} failed${waited}), load ${before} → ${load()}`,
      );
    }
  }
  const [first, ...rest] = backends;
  console.log(`${runs} runs of \`true\` at concurrency ${CONCURRENCY}, ${rounds} rounds, medians:`);
  for (const name of backends) console.log(`  ${name.padEnd(16)} ${median(rates[name]).toFixed(2)} runs/s`);
  for (const name of rest) console.log(`  ${name} / ${first}: ${(median(rates[name]) / median(rates[first])).toFixed(2)}×`);
  fs.rmSync(dir, { recursive: true, force: true });
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
