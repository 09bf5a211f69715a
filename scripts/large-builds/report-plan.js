// The plan of report.js, with no side effects so that test/__tests__/largeBuildsReport.test.ts can
// check it without running a build: its arguments, the sizes and rounds of each part in each mode,
// the commands each part runs, the estimate printed up front, and the splicing of the generated
// sections into docs/large-projects.md between their markers.
'use strict';

/** The parts, in the order they run; prepare is not one of them (it always runs: about 2 s). */
const PARTS = ['calibrate', 'attribution', 'predict', 'scaling', 'per-action'];
/** The placeholder of the predict part's calibration id in its steps' argv. */
const CALIBRATION = '{calibration}';
const BUILDS = ['tsc', 'c', 'npm'];

/**
 * Sizes and rounds. Full: 37 minutes on this 2-core machine at a load average of 4-15 (the estimate
 * below), the whole of what docs/large-projects.md holds. Quick: the same steps at sizes that
 * only show the pipeline works (a smoke test, a few minutes; its figures mean nothing).
 */
const MODES = {
  full: {
    copies: [1, 2, 4],
    npmSets: 3,
    calibrateRounds: 5,
    // predict --check at the smallest size: bubblewrap needs 20 paired rounds (issue 26), docker and gvisor share them.
    // npm ci 40: docker's cost there (+0.2 s) is 15 % of itself = ±30 ms, and its paired rounds spread
    // σ = 124 ms (09:26 quiet run): 20 rounds measure it ±58 ms, 40 ±40 ms (+2.5 min quiet).
    checkRounds: { tsc: 20, c: 20, npm: 40 },
    scaleRounds: 3,
    at: { tsc: 100, c: 1000, npm: 10000 },
    perAction: { actions: [4, 8, 16], rounds: 3, warmup: 1 },
    // Seconds per part of report.js's runs of 2026-12-06 08:02-08:39 UTC at a load average of 4-15 and,
    // for predict's 20 rounds of three backends, 08:55-09:07 at 2-6 (less when quiet); a previous run's
    // own times in DIR/report/times.full.json replace them. predict: + npm ci's 20 more rounds (156 s quiet for 20).
    estimate: { prepare: 3, calibrate: 40, attribution: 40, predict: 940, scaling: 1180, 'per-action': 280 },
  },
  quick: {
    copies: [1, 2],
    // Two sets: --scale fits a line through two sizes at least (4 and 71 packages).
    npmSets: 2,
    calibrateRounds: 2,
    calibrateScale: 0.25,
    checkRounds: { tsc: 2, c: 2, npm: 2 },
    scaleRounds: 2,
    at: { tsc: 10, c: 10, npm: 100 },
    perAction: { actions: [2, 4], rounds: 2, warmup: 0 },
    // Its run of 07:55-08:01 UTC at a load average of 2-6 (npm ci then at one size; two now).
    estimate: { prepare: 3, calibrate: 10, attribution: 10, predict: 140, scaling: 300, 'per-action': 30 },
  },
};

const SCALE_BACKENDS = 'none,bubblewrap,gvisor,docker';
const PREDICT_BACKENDS = ['bubblewrap', 'gvisor', 'docker'];
const PER_ACTION_BACKENDS = 'none,bubblewrap,docker,docker-pool,gvisor-pool';

const USAGE = 'usage: report.js DIR [--quick] [--only PART,...] [--doc FILE] [--dry-run]';

function expected(name, what, value) {
  return new TypeError(`Expected \`${name}\` to be ${what}, got \`${value ?? ''}\` (${typeof value})`);
}

/** report.js's arguments: DIR, --quick, --only PART,..., --doc FILE (default docs/large-projects.md), --dry-run. */
function parseArgs(argv, defaultDoc) {
  const options = { dir: null, quick: false, only: PARTS, doc: defaultDoc, dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--dry-run') options.dryRun = true;
    else if (arg === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      if (names.length === 0 || names.some((n) => !PARTS.includes(n))) {
        throw expected('--only', `a comma-separated list of ${PARTS.join(', ')}`, argv[i]);
      }
      options.only = PARTS.filter((p) => names.includes(p));
    } else if (arg === '--doc') {
      if (argv[i + 1] === undefined || argv[i + 1].startsWith('--')) throw expected('--doc', 'a file', argv[i + 1]);
      options.doc = argv[++i];
    } else if (arg.startsWith('-') || options.dir !== null) {
      throw new TypeError(`Unknown argument \`${arg}\`: ${USAGE}`);
    } else options.dir = arg;
  }
  if (options.dir === null) throw expected('DIR', 'a directory under /tmp to lay the builds out in', undefined);
  return options;
}

/**
 * Every step of the run: its part, what it is, and its command (argv; `cwd` relative to DIR).
 * `builds` is prepare.js's builds.json (the command, directory and clean-up of each build).
 */
function steps(mode, builds, paths) {
  const m = MODES[mode];
  const { cli, scripts, db } = paths;
  const smallest = (name) => builds[name].sizes[0];
  const sub = (text, size) => text.replaceAll('{size}', String(size));
  const buildArgv = (name, size) => sub(builds[name].command, size).split(' ');
  const hooks = (name, size) => ['-p', sub(builds[name].clean, size), '-c', sub(builds[name].clean, size)];
  const predictArgv = (name, backends, extra, size = smallest(name)) => [
    cli,
    'predict',
    '--sandbox',
    backends,
    ...extra,
    '--db',
    db,
    ...hooks(name, size),
    '--json',
    '--',
    ...buildArgv(name, size),
  ];
  const list = [
    {
      part: 'calibrate',
      id: 'calibrate',
      argv: [
        cli,
        'calibrate',
        '--sandbox',
        PREDICT_BACKENDS.join(','),
        '--rounds',
        String(m.calibrateRounds),
        ...(m.calibrateScale ? ['--scale', String(m.calibrateScale)] : []),
        '--db',
        db,
      ],
      cwd: '.',
    },
  ];
  // Each build at every size the scaling part measures: the page shows the smallest size's
  // attribution, and the scaling part checks every size's prediction against its own rounds.
  for (const name of BUILDS) {
    const cwd = builds[name].cwd;
    for (const size of builds[name].sizes) {
      list.push({
        part: 'attribution',
        id: size === smallest(name) ? `attribution ${name}` : `attribution ${name} ${size}`,
        build: name,
        size,
        argv: predictArgv(name, PREDICT_BACKENDS.join(','), [], size),
        cwd,
      });
    }
  }
  for (const name of BUILDS) {
    const cwd = builds[name].cwd;
    // --recalibrate: also predicted from a calibration taken around the measured rounds, at their load.
    // One check of all three backends: that calibration covers only the backends checked, and predict
    // reads the newest one, so a second check of other backends would find none for them.
    // All three from one calibration (the newest when the part starts: the calibrate part's), not
    // each from the one the previous check's --recalibrate stored (withCalibration fills it in).
    const argv = predictArgv(name, PREDICT_BACKENDS.join(','), [
      '--check',
      '--recalibrate',
      '--runs',
      String(m.checkRounds[name]),
      '--calibration',
      CALIBRATION,
    ]);
    list.push({ part: 'predict', id: `predict ${name}`, build: name, argv, cwd });
  }
  for (const name of BUILDS) {
    list.push({
      part: 'scaling',
      id: `scaling ${name}`,
      build: name,
      argv: [`${scripts}/measure.js`, '.', SCALE_BACKENDS, String(m.scaleRounds), name, '--at', String(m.at[name])],
      cwd: '.',
    });
  }
  const pa = m.perAction;
  list.push({
    part: 'per-action',
    id: 'per-action c',
    argv: [
      `${scripts}/per-action.js`,
      'c',
      '--sandbox',
      PER_ACTION_BACKENDS,
      '--actions',
      pa.actions.join(','),
      '--rounds',
      String(pa.rounds),
      '--warmup',
      String(pa.warmup),
      '--json',
      'report/per-action.json',
    ],
    cwd: '.',
  });
  return list;
}

/**
 * What prepare.js writes to builds.json, for --dry-run (which lays nothing out): npm's sizes are
 * the package counts of the lockfile's subsets, known only once prepare.js has cut them (N here).
 */
function placeholderBuilds(mode) {
  const copies = MODES[mode].copies;
  return {
    tsc: {
      command: 'node node_modules/typescript/lib/tsc.js -p tsconfig.{size}.json',
      cwd: 'tsc',
      clean: 'rm -rf out{size}',
      sizes: copies,
    },
    c: { command: 'make -s -f Makefile.{size}', cwd: 'c', clean: 'rm -f copy*/obj/*', sizes: copies },
    npm: {
      command: 'npm ci --prefix {size} --offline --ignore-scripts --no-audit --no-fund --loglevel=error --cache cache',
      cwd: 'npm',
      clean: 'rm -rf {size}/node_modules',
      sizes: ['N'],
    },
  };
}

/** prepare.js's arguments for a mode. */
function prepareArgs(mode, dir) {
  const m = MODES[mode];
  return [dir, BUILDS.join(','), '--copies', m.copies.join(','), '--npm-sets', String(m.npmSets)];
}

/** The estimate printed up front: seconds per part run, from `times` (a previous run's) else the mode's defaults. */
function estimate(mode, parts, times) {
  const per = Object.fromEntries(['prepare', ...parts].map((p) => [p, times?.[p] ?? MODES[mode].estimate[p]]));
  return { per, total: Object.values(per).reduce((a, b) => a + b, 0), measured: times !== null && times !== undefined };
}

const begin = (name) => `<!-- report.js:${name} begin (generated by scripts/large-builds/report.js; edits by hand are overwritten) -->`;
const end = (name) => `<!-- report.js:${name} end -->`;

/**
 * The document with each generated section's text put between its markers; the rest stays as it
 * was. A section whose markers are missing is an error, not appended: the prose around each
 * section says what it shows.
 */
function spliceSections(document, sections) {
  let text = document;
  for (const [name, body] of Object.entries(sections)) {
    const from = text.indexOf(begin(name));
    const to = text.indexOf(end(name));
    if (from === -1 || to === -1 || to < from) {
      throw new TypeError(`Expected the document to hold the markers of section \`${name}\` (${begin(name)} … ${end(name)}), got none`);
    }
    text = `${text.slice(0, from + begin(name).length)}\n${body.trim()}\n${text.slice(to)}`;
  }
  return text;
}

/** `argv` with the placeholder replaced by `id`, or without `--calibration` when the history has none (predict then says so). */
function withCalibration(argv, id) {
  const at = argv.indexOf(CALIBRATION);
  if (at < 0) return argv;
  return id === null ? [...argv.slice(0, at - 1), ...argv.slice(at + 1)] : argv.map((a) => (a === CALIBRATION ? String(id) : a));
}

module.exports = {
  PARTS,
  BUILDS,
  MODES,
  CALIBRATION,
  PREDICT_BACKENDS,
  parseArgs,
  steps,
  withCalibration,
  placeholderBuilds,
  prepareArgs,
  estimate,
  spliceSections,
  begin,
  end,
};
