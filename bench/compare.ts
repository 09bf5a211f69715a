import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from '../src/stats/descriptive';
import { detectBackends } from '../src/runners/detect';
import { sandboxEnv } from '../src/runners/environment';
import type { BackendName } from '../src/runners/types';
import { hasHyperfine, hyperfineMedianMs, markdownTable, measuredOn, type ScenarioResult, type Target } from './harness';
import { printedCommand, shellQuote, type PrintedCommand } from './printedCommand';

/*
 * sandbox-perf's `compare` against `hyperfine -N` on the same command lines (issue 27): `none`
 * against the bare command, `unshare` and `bubblewrap` against the command line each prints
 * (`run --print-command`: its hyperfine form, in the environment it prints). Alternating rounds in one run,
 * the same minimal environment for both (the one every backend gives its command), and the order
 * of the two swapped every round so that neither always runs on a machine the other just warmed.
 */

const RUNS = 20;
const ROUNDS = 4;
const COMMANDS: readonly (readonly string[])[] = [['true'], ['node', '-e', '0']];
const BACKENDS: readonly BackendName[] = ['none', 'unshare', 'bubblewrap'];
/** How close the medians must be: `none` on `true` in ms, on `node -e 0` in %; the sandboxes within either. */
const WITHIN_MS = 0.5;
const WITHIN_PERCENT = 2;

interface Row {
  backend: BackendName;
  command: string;
  /** What hyperfine runs, or why there is nothing to run. */
  line: PrintedCommand | { missing: string };
  ours: number[];
  theirs: number[];
}

function compareMedians(cli: string, dir: string, backends: readonly BackendName[], command: readonly string[], round: number): number[] {
  // The history and the export beside the working directory: a history inside it is refused (the sandboxes bind it writable).
  const out = path.join(dir, '..', `ours-${round}.json`);
  const args = ['compare', '--sandbox', backends.join(','), '--runs', String(RUNS), '--warmup', '1'];
  execFileSync(process.execPath, [cli, ...args, '--db', path.join(dir, '..', 'bench.db'), '--export-json', out, '--', ...command], {
    cwd: dir,
    stdio: 'ignore',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const result = JSON.parse(fs.readFileSync(out, 'utf8')) as { backends: { backend: string; summary: { medianMs: number } }[] };
  return backends.map((b) => result.backends.find((r) => r.backend === b)?.summary.medianMs ?? Number.NaN);
}

function hyperfineLine(line: PrintedCommand, dir: string, env: NodeJS.ProcessEnv): number {
  return hyperfineMedianMs(line.command, { runs: RUNS, warmup: 1, dir, env: line.env ?? env });
}

function target(row: Row): Target {
  const ours = median(row.ours);
  const theirs = row.theirs.length > 0 ? median(row.theirs) : Number.NaN;
  const label = `${row.backend}: \`${row.command}\`, compare median vs hyperfine -N`;
  const note = 'missing' in row.line ? row.line.missing : undefined;
  const base = { op: '<=' as const, strict: true, ...(note === undefined ? {} : { note }) };
  const value = Number.isFinite(theirs) ? Math.abs(ours - theirs) : undefined;
  if (row.backend === 'none' && row.command === 'true')
    return { ...base, name: `${label} (difference)`, value, limit: WITHIN_MS, unit: 'ms' };
  if (row.backend === 'none') {
    return {
      ...base,
      name: `${label} (difference)`,
      value: value === undefined ? undefined : (value / theirs) * 100,
      limit: WITHIN_PERCENT,
      unit: '%',
    };
  }
  const limit = Number.isFinite(theirs) ? Math.max(WITHIN_MS, (theirs * WITHIN_PERCENT) / 100) : WITHIN_MS;
  return {
    ...base,
    name: `${label} on its printed command line (within ${WITHIN_MS} ms or ${WITHIN_PERCENT} %)`,
    value,
    limit,
    unit: 'ms',
  };
}

export async function compareBench(): Promise<ScenarioResult> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-bench-compare-'));
  const dir = path.join(root, 'work');
  fs.mkdirSync(dir);
  const cli = path.resolve(__dirname, '../src/cli/main.js');
  const env = sandboxEnv(dir);
  const withHyperfine = hasHyperfine();
  const present = (await detectBackends({ cwd: dir }, BACKENDS)).filter((b) => b.available).map((b) => b.backend);
  const rows: Row[] = [];
  try {
    for (const command of COMMANDS) {
      const line = command.map(shellQuote).join(' ');
      const these = present.map((backend): Row => {
        const printed = backend === 'none' ? { command: line, env: null, kept: null } : printedCommand(cli, backend, command, dir);
        return { backend, command: command.join(' '), line: printed, ours: [], theirs: [] };
      });
      rows.push(...these);
      for (let round = 0; round < ROUNDS; round++) {
        const theirs = (): void => {
          if (!withHyperfine) return;
          for (const row of these) if (!('missing' in row.line)) row.theirs.push(hyperfineLine(row.line, dir, env));
        };
        if (round % 2 === 1) theirs();
        compareMedians(cli, dir, present, command, round).forEach((m, i) => (these[i] as Row).ours.push(m));
        if (round % 2 === 0) theirs();
      }
    }
  } finally {
    for (const row of rows)
      if (!('missing' in row.line) && row.line.kept !== null) fs.rmSync(row.line.kept, { recursive: true, force: true });
    fs.rmSync(root, { recursive: true, force: true });
  }
  const absent = BACKENDS.filter((b) => !present.includes(b));
  const fmt = (values: readonly number[]): string => (values.length > 0 ? median(values).toFixed(2) : 'n/a');
  const table = markdownTable(
    [
      'backend',
      'command',
      'hyperfine ran',
      '`compare` median [ms]',
      'hyperfine -N median [ms]',
      'difference [ms]',
      'rounds (ours / hyperfine)',
    ],
    rows.map((r) => [
      r.backend,
      `\`${r.command}\``,
      'missing' in r.line ? r.line.missing : `\`${r.line.command.length > 72 ? `${r.line.command.slice(0, 72)}…` : r.line.command}\``,
      fmt(r.ours),
      withHyperfine ? fmt(r.theirs) : 'hyperfine not installed (apt-get install hyperfine)',
      r.theirs.length > 0 ? (median(r.ours) - median(r.theirs)).toFixed(2) : 'n/a',
      r.ours.map((o, i) => `${o.toFixed(2)} / ${r.theirs[i]?.toFixed(2) ?? 'n/a'}`).join(', '),
    ]),
    [false, false, false, true, true, true, false],
  );
  const markdown = [
    measuredOn('compare'),
    '',
    `\`sandbox-perf compare --sandbox ${present.join(',')} --runs ${RUNS} --warmup 1 -- CMD\` against \`hyperfine -N --runs ${RUNS} --warmup 1\``,
    `on what each backend runs, ${ROUNDS} rounds alternating which goes first, the same minimal environment for both (the medians`,
    'below are the medians of the rounds). `none` is held to the bare command; a sandbox to the command line it prints',
    '(`sandbox-perf run --sandbox <backend> --print-command -- CMD` shows it whole, with the hyperfine invocation),',
    'so that the difference is what sandbox-perf adds to what that sandbox costs. What lies inside the timed window of each',
    `backend is in [runners.md](runners.md).${absent.length > 0 ? ` Not available here: ${absent.join(', ')}.` : ''}`,
    '',
    table,
  ].join('\n');
  return { title: 'compare against hyperfine', markdown, targets: withHyperfine ? rows.map(target) : [] };
}

if (require.main === module) {
  void compareBench().then((f) => process.stdout.write(`${f.markdown}\n`));
}
