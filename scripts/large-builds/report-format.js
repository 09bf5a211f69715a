// The Markdown of each generated section of docs/large-projects.md, from what report.js's steps
// printed (the CLI's JSON and text, measure.js's and per-action.js's output). The text blocks use
// the CLI's own formatters (dist/), so they read as `sandbox-perf predict` prints them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
// Loaded when a section is written, not at require: the plan's test checks verdict() without dist/.
const cliFormat = () => require(path.resolve(__dirname, '../../dist/cli/format/predictionText.js'));

const TITLES = { tsc: 'tsc', c: 'C build', npm: 'npm ci' };
const UNITS = { tsc: 'copy', c: 'copy', npm: 'packages' };
const s = (ms) => `${ms >= 0 ? '+' : '−'}${(Math.abs(ms) / 1000).toFixed(3)}`;
const span = (i) => `${s(i.estimate)} [${s(i.low)} … ${s(i.high)}]`;
const fence = (text) => `\`\`\`text\n${text.trim()}\n\`\`\``;
const sizeOf = (builds, name) => `${builds[name].sizes[0]} ${UNITS[name]}`;

function json(result) {
  try {
    return JSON.parse(result.stdout);
  } catch {
    return null;
  }
}

function failed(result) {
  return `${result.step.id}: exited ${result.status} after ${result.seconds.toFixed(0)} s, no output (its messages are in report.js's stderr).`;
}

function attribution(results, { builds }) {
  return results
    .filter((r) => r.step.size === undefined || r.step.size === builds[r.step.build].sizes[0])
    .map((r) => {
      const data = json(r);
      const head = `**${TITLES[r.step.build]} (${sizeOf(builds, r.step.build)})**`;
      if (data === null) return `${head}\n\n${failed(r)}`;
      const { countsLine, predictionText } = cliFormat();
      return `${head}\n\n${fence(`${countsLine(data.profile.counts)}\n${predictionText(data.predictions, 'none')}`)}`;
    })
    .join('\n\n');
}

/** The issue's target for one check: ±15 % for docker and gvisor; for bubblewrap, inside the interval of 20 paired rounds or more. */
function verdict(check, rounds) {
  if (check.backend === 'bubblewrap') {
    if (!check.insideMeasuredInterval) return '**missed**: outside the measured interval';
    return rounds >= 20 ? '**met**: inside the measured interval' : `inside the interval, but ${rounds} rounds (target: 20)`;
  }
  if (check.withinTolerance) return '**met**: within ±15 %';
  return `missed (${check.insideMeasuredInterval ? 'inside' : 'outside'} the measured interval)`;
}

/**
 * The checks as a table: each build and backend from the calibration stored before the check
 * ("stored": this run's calibrate part) and, with --recalibrate, from the one predict took around
 * the measured rounds ("around": the same minutes as the measurement, docs/calibration.md).
 */
function predict(results, { builds }) {
  const rows = [
    '| build | backend | calibration | predicted (s) | measured (s), paired rounds | error | target |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const notes = [];
  const attributions = [];
  for (const r of results) {
    const data = json(r);
    const build = `${TITLES[r.step.build]}, ${sizeOf(builds, r.step.build)}`;
    const rounds = Number(r.step.argv[r.step.argv.indexOf('--runs') + 1]);
    if (data === null || data.checks === null) {
      notes.push(failed(r));
      continue;
    }
    const sets = [['stored', data], ...(data.recalibrated ? [['around', data.recalibrated]] : [])];
    for (const [which, set] of sets) {
      for (const p of set.predictions) {
        const c = set.checks.find((x) => x.backend === p.backend);
        const head = `| ${build} | ${p.backend} | ${which} | ${span(p.total)}`;
        if (c === undefined) {
          rows.push(`${head} | no paired measurement (see stderr) | — | missed |`);
          continue;
        }
        const error = c.relativeError === null ? '—' : `${c.relativeError >= 0 ? '+' : '−'}${Math.abs(c.relativeError * 100).toFixed(1)} %`;
        rows.push(`${head} | ${span(c.measured)} (${rounds}) | ${error} | ${verdict(c, rounds)} |`);
      }
      attributions.push(`${build}, ${which}:\n${cliFormat().predictionText(set.predictions, 'none')}`);
    }
  }
  return [
    rows.join('\n'),
    ...notes,
    'What each checked prediction was made of (fixed + in-command, and where the in-command part goes):',
    fence(attributions.join('\n')),
  ].join('\n\n');
}

/** measure.js's text from "Scaling with" on: the fits and the extrapolation (the per-size statistics stay in DIR/results/). */
function scaling(results, { dir, builds }) {
  return results
    .map((r) => {
      const file = path.join(dir, 'results', `${r.step.build}.txt`);
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      const from = text.indexOf('Scaling with');
      const rounds = r.step.argv[3];
      const head = `**${TITLES[r.step.build]}** (${rounds} rounds after 1 warm-up)`;
      if (from === -1) return `${head}\n\n${failed(r)}`;
      const sizes = sizeChecks(r.step.build, builds, readJson(path.join(dir, 'results', `${r.step.build}.json`)), (size) =>
        readJson(path.join(dir, 'report', `${attributionId(r.step.build, size, builds).replaceAll(' ', '_')}.out`)),
      );
      return `${head}\n\n${fence(text.slice(from))}${sizes ? `\n\n${sizes}` : ''}`;
    })
    .join('\n\n');
}

const readJson = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
};
/** The attribution part's step id for a build at a size (report-plan.js): the smallest size's has none. */
const attributionId = (name, size, builds) => (size === builds[name].sizes[0] ? `attribution ${name}` : `attribution ${name} ${size}`);
const percent = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} %`;

/**
 * Each size's prediction (the attribution part's, from the stored calibration) against the
 * scaling part's paired rounds at that size, and the predicted cost per unit of size (the
 * least-squares slope through the predictions) against the measured slope: the prediction
 * validated at every size, not only where predict --check measured it. `measured` is measure.js's
 * compare JSON; `predictedAt(size)` the attribution's predict JSON or null.
 */
function sizeChecks(name, builds, measured, predictedAt) {
  if (measured?.scaling === undefined) return '';
  const sizes = measured.scaling.sizes;
  const rows = [
    '| size | backend | predicted (s) | measured (s), paired rounds | error | prediction inside the measured interval |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const slopes = [];
  for (const backend of PREDICTED) {
    const points = [];
    sizes.forEach((size, i) => {
      const p = predictedAt(size)?.predictions?.find((x) => x.backend === backend);
      const m = measured.workloads[i]?.backends.find((b) => b.backend === backend)?.paired;
      if (p === undefined || m?.difference === undefined || m.difference === null) return;
      const d = m.difference;
      points.push([size, p.total.estimate]);
      const inside = d.low <= p.total.estimate && p.total.estimate <= d.high;
      rows.push(
        `| ${size} ${size === 1 || UNITS[name] !== 'copy' ? UNITS[name] : 'copies'} | ${backend} | ${span(p.total)} | ${span(d)} (${m.pairs}) | ${d.estimate === 0 ? '—' : percent(p.total.estimate / d.estimate - 1)} | ${inside ? 'yes' : 'no'} |`,
      );
    });
    const fit = measured.scaling.backends.find((b) => b.backend === backend)?.perUnitMs;
    if (points.length >= 2 && fit) slopes.push(`${backend} ${s(slope(points))} s predicted, ${span(fit)} s measured`);
  }
  if (rows.length === 2) return '';
  return [
    `Predicted at each size (the attribution part, from the calibrate part's calibration) against these rounds:`,
    rows.join('\n'),
    ...(slopes.length > 0 ? [`Per ${UNITS[name] === 'copy' ? 'copy' : 'package'}: ${slopes.join('; ')}.`] : []),
  ].join('\n\n');
}

const PREDICTED = ['bubblewrap', 'gvisor', 'docker'];

/** The least-squares slope through points [x, y]. */
function slope(points) {
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length;
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxy / sxx;
}

function perAction(results, { mode }) {
  const r = results[0];
  const m = mode.perAction;
  const head = `\`per-action.js DIR/c --sandbox ${r.step.argv[3]} --actions ${m.actions.join(',')} --rounds ${m.rounds} --warmup ${m.warmup}\`, with SANDBOX_PERF_DOCKER_IMAGE=sandbox-perf/toolchain:local; 95 % intervals.`;
  return r.stdout.includes('| backend |') ? `${head}\n\n${r.stdout.trim()}` : `${head}\n\n${failed(r)}`;
}

function calibrate(results) {
  const r = results[0];
  return r.stdout.trim() ? fence(r.stdout) : failed(r);
}

const FORMATS = { calibrate, attribution, predict, scaling, 'per-action': perAction };

function format(part, results, context) {
  return FORMATS[part](results, context);
}

module.exports = { format, verdict, sizeChecks };
