#!/usr/bin/env node
// Per action or per build (docs/large-projects.md): the C build prepared by prepare.js (DIR/c),
// on each backend, at each number of copies, two ways: `make` in one sandbox, and each of its
// actions (the lines of actions.N.txt: compiler calls, ar, the link) in a sandbox of its own, one
// after the other: through runInSandbox on a prepared backend, and through createPool for the pool
// backends. Rounds interleave the backends (order rotated each round); the object files are removed
// before every build. Wall time around the calls. Prints the table (compare/perAction.ts) as
// Markdown, and the raw rounds and the table as JSON with --json FILE.
// usage: node scripts/large-builds/per-action.js DIR/c [--sandbox LIST] [--copies 1,2 | --actions 4,8,16]
//        [--rounds 5] [--warmup 1] [--json FILE]
// (needs `npm run build`; the Docker backends need SANDBOX_PERF_DOCKER_IMAGE=sandbox-perf/toolchain:local)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const dist = path.resolve(__dirname, '../../dist');
const { createBackend, createPool, POOL_BACKENDS, runInSandbox, SandboxPerfMonitor } = require(path.join(dist, 'index.js'));
const { perActionTable } = require(path.join(dist, 'compare/perAction.js'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const cwd = path.resolve(args[0] ?? '');
if (!fs.existsSync(path.join(cwd, 'actions.1.txt'))) {
  process.stderr.write(`per-action.js: expected DIR/c as prepared by prepare.js (with actions.1.txt), got ${JSON.stringify(args[0])}\n`);
  process.exit(2);
}
const backends = option('sandbox', 'none,unshare,bubblewrap').split(',');
if (backends[0] !== 'none') backends.unshift('none');
if (backends.includes('gvisor')) {
  // runsc do keeps a run's writes in its own memory overlay and drops them at exit: an action's
  // object file would be gone before the next action (ar, the link) runs. gvisor-pool bind-mounts instead.
  process.stderr.write('per-action.js: gvisor discards what each run writes, so actions cannot pass their outputs on: use gvisor-pool\n');
  process.exit(2);
}
const copies = option('copies', '1,2').split(',').map(Number);
const rounds = Number(option('rounds', '5'));
const warmup = Number(option('warmup', '1'));
// --actions 4,8,16: the first N compiler calls of copy 1 instead of whole copies (a smaller build, same kind of action).
const actionCounts = option('actions', null)?.split(',').map(Number) ?? null;
const jsonFile = option('json', null);

const actionsOf = (n) =>
  fs
    .readFileSync(path.join(cwd, `actions.${actionCounts ? 1 : n}.txt`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))
    .slice(0, actionCounts ? n : undefined);
/** The build in one sandbox: make, of everything or of the chosen actions' outputs. */
const wholeOf = (n) =>
  actionCounts
    ? ['make', '-s', '-f', 'Makefile.1', ...actionsOf(n).map((a) => a[a.indexOf('-o') + 1])]
    : ['make', '-s', '-f', `Makefile.${n}`];
const sizes = actionCounts ?? copies;
const clean = () => {
  for (const d of fs.readdirSync(cwd).filter((f) => f.startsWith('copy'))) {
    const obj = path.join(cwd, d, 'obj');
    for (const f of fs.readdirSync(obj)) fs.rmSync(path.join(obj, f));
  }
};

(async () => {
  // A monitor of its own, without a history: the table is this script's output.
  const monitor = new SandboxPerfMonitor();
  const runners = {};
  for (const name of backends) {
    if (POOL_BACKENDS.includes(name)) {
      const pool = await createPool(name, { cwd, monitor, size: 2 });
      runners[name] = { run: (command) => pool.run(command), close: () => pool.close() };
    } else {
      const backend = createBackend(name, { cwd });
      await backend.prepare();
      runners[name] = { run: (command) => runInSandbox(backend, command, { monitor }), close: () => backend.teardown() };
    }
  }
  const timed = async (name, commands) => {
    const t = performance.now();
    for (const command of commands) {
      const { result } = await runners[name].run(command);
      if (result.exitCode !== 0) {
        process.stderr.write(
          `per-action.js: ${name}: ${command.join(' ')} exited ${result.exitCode}: ${result.stderr ?? ''}${result.error ?? ''}\n`,
        );
        return null;
      }
    }
    return performance.now() - t;
  };
  const data = Object.fromEntries(
    backends.map((b) => [b, { backend: b, sizes: sizes.map(() => ({ actions: 0, wholeMs: [], perActionMs: [] })) }]),
  );
  try {
    for (let round = 1 - warmup; round <= rounds; round++) {
      const order = backends.map((_, i) => backends[(i + round) % backends.length]);
      for (const name of order) {
        for (const [k, n] of sizes.entries()) {
          const actions = actionsOf(n);
          clean();
          const whole = await timed(name, [wholeOf(n)]);
          clean();
          const each = await timed(name, actions);
          // Rounds up to 0 are warm-up (page cache, images, pools filled): not kept.
          if (round <= 0) continue;
          const slot = data[name].sizes[k];
          slot.actions = actions.length;
          slot.wholeMs.push(whole);
          slot.perActionMs.push(each);
        }
        process.stderr.write(`round ${round}/${rounds} ${name}\n`);
      }
    }
  } finally {
    for (const r of Object.values(runners)) await r.close();
  }
  const table = perActionTable(Object.values(data));
  const ms = (i) => (i ? `${i.estimate.toFixed(1)} [${i.low.toFixed(1)} … ${i.high.toFixed(1)}]` : 'n/a');
  const lines = [
    `C build: cpu_features, ${table.actions.join(', ')} actions; ${rounds} rounds; ${table.baseline}'s own time per action ${table.baselineActionMs?.toFixed(1)} ms`,
    '',
    '| backend | one sandbox: fixed F (ms) | one sandbox: per action g (ms) | own sandbox: fixed c₀ (ms) | own sandbox per action: f (ms) | break-even n* = (F − c₀) / (f − g) | f / action time |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...table.backends.map(
      (b) =>
        `| ${b.backend} | ${ms(b.wholeFixedMs)} | ${ms(b.wholePerActionMs)} | ${ms(b.perActionFixedMs)} | ${ms(b.perActionMs)} | ${b.breakEvenActions === null ? 'never' : b.breakEvenActions.toFixed(1)} | ${b.costPerActionTime === null ? 'n/a' : `${(b.costPerActionTime * 100).toFixed(0)} %`} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (jsonFile) fs.writeFileSync(jsonFile, `${JSON.stringify({ rounds: Object.values(data), table }, null, 2)}\n`);
})().catch((error) => {
  process.stderr.write(`per-action.js: ${error.stack ?? error}\n`);
  process.exit(1);
});
