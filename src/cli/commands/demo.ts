import fs from 'node:fs';
import path from 'node:path';
import { compareBackends, type ComparisonResult } from '../../compare/compareBackends';
import { detectBackends } from '../../runners/detect';
import { BACKEND_NAMES } from '../../runners/backendNames';
import { HistoryReader } from '../../state/read/HistoryReader';
import { parseArgs } from '../args';
import { parseBackends } from '../backendsFlag';
import { defineCommand, UsageError, type Command } from '../command';
import { historyPathFor, openRecording, DB_HELP } from '../database';
import { assertHistoryOutOfReach } from '../historyOutOfReach';
import { printableDeep } from '../../printable';
import { comparisonDetails, comparisonVerdicts } from '../format/comparisonText';
import { reportText } from '../format/reportText';
import { buildHistoryView } from '../historyView';
import { colours, progressBar } from '../terminal';
import { workdirFrom, WORKDIR_FLAGS, workdirUsage } from '../sandboxFlags';
import { warnHostCodeInWorkdir } from '../workdirWarning';

const FLAGS = {
  runs: { type: 'integer', min: 1, max: 1000, value: 'N' },
  sandbox: { type: 'list', value: 'BACKENDS' },
  ...WORKDIR_FLAGS,
  db: { type: 'string', value: 'FILE' },
} as const;

/** The shipped workload: the package's own workload/build.js (two levels above dist/cli or src/cli). */
function workloadScript(): string {
  const candidates = [path.resolve(__dirname, '../../../workload/build.js'), path.resolve(__dirname, '../../workload/build.js')];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`the sample workload is missing (looked for ${candidates.join(', ')})`);
  return found;
}

export const demoCommand: Command = defineCommand({
  name: 'demo',
  summary: 'the main job (npm start): compare a build-like workload across every backend available here, then report',
  usage: `Usage: sandbox-perf demo [--runs N] [--sandbox LIST] [--workdir MODE] [--db FILE]

Generates a build-like sample tree (2 000 small files) under ./.sandbox-perf/workload once, then
runs 'node workload/build.js' (read and hash every file, a short compute step) on every sandbox
backend that is available on this machine, interleaved, and prints the comparison and the
history report. Backends that are missing are listed with the command that enables them.

Options:
  --runs N        timed runs per backend, 1 to 1000   [default: 5]
  --sandbox LIST  only these backends, comma-separated   [default: every backend available here]
  ${workdirUsage(18)}
  --db FILE       ${DB_HELP}
  --help          this text
`,
  async run(argv, io) {
    const parsed = parseArgs(argv, FLAGS, 'demo');
    if (parsed.positionals.length > 0 || parsed.command !== null) throw new UsageError("'demo' takes no command");
    const only = parsed.flags.sandbox === undefined ? undefined : parseBackends(parsed.flags.sandbox);
    const where = historyPathFor(parsed.flags.db, io);
    // Before the tree is written or anything detected: which backends are available is not known yet.
    assertHistoryOutOfReach(where, { cwd: io.cwd, ...workdirFrom(parsed.flags) }, only ?? BACKEND_NAMES);
    const c = colours(io.stdout, io.env);
    const runs = (parsed.flags.runs as number | undefined) ?? 5;
    io.stdout.write(
      `${c.bold('What isolation costs a build')}: a build-like workload (read and hash 2 000 files, then compute) on every sandbox backend here, ${runs} interleaved round(s) each; the answer (Summary, Mitigations) comes last.\n\n`,
    );
    const script = workloadScript();
    // The tree lives under the working directory, which every backend binds into the sandbox.
    const tree = path.join(io.cwd, '.sandbox-perf', 'workload');
    if (!fs.existsSync(path.join(tree, 'mod19'))) {
      fs.mkdirSync(tree, { recursive: true });
      await import('node:child_process').then(({ execFileSync }) => execFileSync(process.execPath, [script, '--generate', tree]));
    }
    // Inside a sandbox the script must be reachable too: copy it next to the tree.
    const localScript = path.join(tree, '..', 'build.js');
    fs.copyFileSync(script, localScript);

    io.stdout.write(`${c.bold('Backends on this machine')}\n`);
    const sandbox = { cwd: io.cwd, ...workdirFrom(parsed.flags) };
    const found = await detectBackends(sandbox, only);
    for (const b of found) io.stdout.write(`  ${b.available ? c.green('✓') : c.yellow('✗')} ${b.message}\n`);
    const available = found.filter((b) => b.available).map((b) => b.backend);
    io.stdout.write('\n');
    warnHostCodeInWorkdir(io.stderr, io.cwd, sandbox.workdir ?? 'rw', available);

    const dbPath = where.file;
    const recording = openRecording(where, undefined, io);
    const { monitor } = recording;
    const bar = progressBar(io, runs * available.length);
    const command = ['node', path.relative(io.cwd, localScript), path.relative(io.cwd, tree)];
    let result: ComparisonResult;
    try {
      result = await compareBackends({
        backends: available,
        command,
        runs,
        warmup: 1,
        sandbox,
        monitor,
        onRun: (b) => bar.tick(b),
      });
      bar.end();
      result = printableDeep(result);
      io.stdout.write(comparisonDetails(result, c));
    } finally {
      bar.end();
      await recording.finish();
    }
    const reader = new HistoryReader(dbPath);
    try {
      // With the overhead per run and the command's own time, per backend, within the demo's workload.
      // The per-phase history repeats the phases printed per backend above: `report` shows it.
      const view = buildHistoryView(reader, dbPath, { buckets: 8 });
      io.stdout.write(`\n${reportText({ ...view, phases: [] }, c)}`);
    } finally {
      reader.close();
    }
    const short = shortPath(io.cwd, dbPath);
    io.stdout.write(
      `\nHistory: ${dbPath}\n  per phase: sandbox-perf report --db ${short}\n  raw rows:  sqlite3 ${short} 'SELECT * FROM sandbox_perf_records ORDER BY id DESC LIMIT 5'\n`,
    );
    io.stdout.write(comparisonVerdicts(result, c));
    return 0;
  },
});

/** `file` relative to `cwd` when it lies inside it, else as given (no `../../` climbs). */
function shortPath(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
