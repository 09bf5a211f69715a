#!/usr/bin/env node
// Everything docs/large-projects.md shows, from one run on this machine, written into it between
// its markers: prepare.js lays the real builds out in DIR; then the parts, each timed, its load
// average at start and end quoted:
//   calibrate    sandbox-perf calibrate on bubblewrap, gvisor, docker (the Docker one in the toolchain image)
//   attribution  sandbox-perf predict of each build (tsc, c, npm) at its smallest size: counts, where the cost goes
//   predict      predict --check of each build: gvisor,docker with 10 paired rounds, bubblewrap with 20
//   scaling      measure.js (compare --scale) of each build at 3 sizes on none,bubblewrap,gvisor,docker
//   per-action   per-action.js on the C build (none, bubblewrap, docker, docker-pool, gvisor-pool)
// The outputs stay in DIR/report/ (each part's raw output, times.json: the next run's estimate).
// --only PART,... runs those parts and replaces only their sections; --quick runs every step at
// smoke-test sizes (minutes; figures meaningless: use it with --doc on a copy); --dry-run prints
// the plan and the estimate and runs nothing. Needs `npm run build` (dist/) and, for docker,
// .ci/build-toolchain-image.sh (sandbox-perf/toolchain:local).
// usage: node scripts/large-builds/report.js DIR [--quick] [--only PART,...] [--doc FILE] [--dry-run]
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const plan = require('./report-plan.js');

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const IMAGE = process.env.SANDBOX_PERF_DOCKER_IMAGE ?? 'sandbox-perf/toolchain:local';

function fail(message) {
  process.stderr.write(`report.js: ${message}\n`);
  process.exit(2);
}

let options;
try {
  options = plan.parseArgs(process.argv.slice(2), path.join(ROOT, 'docs/large-projects.md'));
} catch (error) {
  fail(error.message);
}
const mode = options.quick ? 'quick' : 'full';
const dir = path.resolve(options.dir);
const out = path.join(dir, 'report');
const load = () => os.loadavg()[0].toFixed(2);
const clock = (date) => date.toISOString().slice(11, 16);
const commit = () => {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=7'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

function printEstimate() {
  const timesFile = path.join(out, `times.${mode}.json`);
  const times = fs.existsSync(timesFile) ? JSON.parse(fs.readFileSync(timesFile, 'utf8')) : null;
  const e = plan.estimate(mode, options.only, times);
  const parts = Object.entries(e.per).map(([p, s]) => `${p} ${Math.round(s)} s`);
  process.stderr.write(
    `report.js: ${mode} run of ${options.only.join(', ')}: estimate ${(e.total / 60).toFixed(0)} min ` +
      `(${parts.join(', ')}; from ${e.measured ? `this DIR's last ${mode} run` : "report-plan.js's defaults, a run at load 4-15"}); load average now ${load()}\n`,
  );
}

/** Runs one step: node ARGV in DIR/cwd, its stdout kept in DIR/report/ID.out, stderr passed through. */
function runStep(step) {
  const t = performance.now();
  process.stderr.write(`report.js: ${step.id} (load ${load()})\n`);
  const r = spawnSync(process.execPath, step.argv, {
    cwd: path.join(dir, step.cwd),
    env: { ...process.env, SANDBOX_PERF_DOCKER_IMAGE: IMAGE, NO_COLOR: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 28,
  });
  fs.writeFileSync(path.join(out, `${step.id.replaceAll(/[ ,]/g, '_')}.out`), r.stdout ?? '');
  const seconds = (performance.now() - t) / 1000;
  // predict --check exits 1 when a backend has no paired measurement: its JSON still says which.
  if (r.status !== 0 && !(step.part === 'predict' && r.status === 1 && r.stdout)) {
    process.stderr.write(`report.js: ${step.id} exited ${r.status ?? r.signal} after ${seconds.toFixed(0)} s\n`);
  }
  return { stdout: r.stdout ?? '', status: r.status, seconds };
}

/**
 * predict's counts of every build come from the kernel's tracepoints; with strace instead (no
 * tracefs mounted: a fresh VM) clock reads and the calls on other threads would count 0, and the
 * page would hold another model's predictions.
 */
function assertTracepoints() {
  const { CALIB_FILE } = require(path.join(ROOT, 'dist/calibrate/calibWorkdir.js'));
  const { MOUNT_TRACEFS, tracepointsReadable } = require(path.join(ROOT, 'dist/calibrate/tracepoints.js'));
  if (!fs.existsSync(CALIB_FILE)) fail(`${CALIB_FILE} is missing: run node native/build.js`);
  if (!tracepointsReadable(CALIB_FILE)) {
    fail(
      `predict would count with strace here (no syscall tracepoints in /sys/kernel/tracing): as root, run '${MOUNT_TRACEFS}' (.ci/e2e-deps.sh does it)`,
    );
  }
}

function main() {
  printEstimate();
  if (options.dryRun) {
    process.stdout.write(`node scripts/large-builds/prepare.js ${plan.prepareArgs(mode, dir).join(' ')}\n`);
    for (const s of plan.steps(mode, plan.placeholderBuilds(mode), paths()).filter((x) => options.only.includes(x.part))) {
      process.stdout.write(`[${s.part}] (cd ${path.join(dir, s.cwd)} && node ${s.argv.map(quote).join(' ')})\n`);
    }
    return;
  }
  if (!fs.existsSync(CLI)) fail(`${CLI} is missing: run npm run build first`);
  if (options.only.some((p) => p !== 'calibrate')) assertTracepoints();
  if (options.only.some((p) => p !== 'attribution' && p !== 'calibrate')) {
    try {
      execFileSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' });
    } catch {
      fail(`the Docker backends need the image ${IMAGE}: run bash .ci/build-toolchain-image.sh`);
    }
  }
  fs.mkdirSync(out, { recursive: true });
  const run = { started: new Date(), load: load(), commit: commit(), times: {} };
  let t = performance.now();
  execFileSync(process.execPath, [path.join(__dirname, 'prepare.js'), ...plan.prepareArgs(mode, dir)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  run.times.prepare = (performance.now() - t) / 1000;
  const builds = JSON.parse(fs.readFileSync(path.join(dir, 'builds.json'), 'utf8'));
  const all = plan.steps(mode, builds, paths());
  const { format } = require('./report-format.js');
  const sections = {};
  for (const part of options.only) {
    const stamp = { started: new Date(), load: load() };
    t = performance.now();
    const calibration = part === 'predict' ? newestCalibration() : null;
    const results = all
      .filter((s) => s.part === part)
      .map((s) => ({ ...s, argv: plan.withCalibration(s.argv, calibration) }))
      .map((s) => ({ step: s, ...runStep(s) }));
    run.times[part] = (performance.now() - t) / 1000;
    const stampLine =
      `_${part}: measured ${stamp.started.toISOString().slice(0, 10)} ${clock(stamp.started)}-${clock(new Date())} UTC ` +
      `by \`node scripts/large-builds/report.js${mode === 'quick' ? ' --quick' : ''}\` at commit ${run.commit}, ` +
      `load average ${stamp.load} at start and ${load()} at the end (2 cores), ${run.times[part].toFixed(0)} s._`;
    sections[part] = `${stampLine}\n\n${format(part, results, { dir, builds, mode: plan.MODES[mode] })}`;
    process.stderr.write(`report.js: ${part} done in ${run.times[part].toFixed(0)} s (load ${load()})\n`);
  }
  const total = Object.values(run.times).reduce((a, b) => a + b, 0);
  sections.run =
    `Last run: ${run.started.toISOString().slice(0, 10)} ${clock(run.started)}-${clock(new Date())} UTC, ` +
    `\`node scripts/large-builds/report.js DIR${mode === 'quick' ? ' --quick' : ''}${options.only.length < plan.PARTS.length ? ` --only ${options.only.join(',')}` : ''}\`, ` +
    `commit ${run.commit}, on ${os.cpus()[0]?.model.trim() ?? 'a CPU'} × ${os.cpus().length}, Linux ${os.release()}, Node ${process.version}; ` +
    `load average ${run.load} at start and ${load()} at the end, ${(total / 60).toFixed(1)} min ` +
    `(${Object.entries(run.times)
      .map(([p, s]) => `${p} ${s.toFixed(0)} s`)
      .join(', ')}).` +
    (options.only.length < plan.PARTS.length ? ' The sections it did not run keep their own stamps.' : '');
  fs.writeFileSync(path.join(out, `times.${mode}.json`), `${JSON.stringify(run.times, null, 2)}\n`);
  for (const [part, text] of Object.entries(sections)) fs.writeFileSync(path.join(out, `${part}.md`), `${text}\n`);
  fs.writeFileSync(options.doc, plan.spliceSections(fs.readFileSync(options.doc, 'utf8'), sections));
  process.stderr.write(`report.js: wrote ${options.only.join(', ')} into ${options.doc} (${(total / 60).toFixed(1)} min)\n`);
}

/** An argument as a shell reads it back (for --dry-run's listing). */
function quote(arg) {
  return /^[\w./,=:+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/**
 * The id of the calibration the predict part uses: the newest in the run's history that covers
 * every backend it checks (calibrationStore's own choice, as predict makes it), or null.
 */
function newestCalibration() {
  const { latestCalibration } = require(path.join(ROOT, 'dist/state/calibrationStore.js'));
  return latestCalibration(paths().db, null, plan.PREDICT_BACKENDS)?.id ?? null;
}

function paths() {
  return { cli: CLI, scripts: __dirname, db: path.join(dir, 'history.db') };
}

main();
