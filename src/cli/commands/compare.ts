import { compareBackends } from '../../compare/compareBackends';
import { machineFingerprint } from '../../machine/fingerprint';
import { noiseWarnings } from '../../machine/noise';
import { compareWithSaved } from '../../compare/savedBaseline';
import { comparisonToCsv, comparisonToHyperfine, comparisonToJson, comparisonToMarkdown } from '../../export/comparison';
import { printable, printableDeep } from '../../printable';
import { SANDBOX_FLAGS, sandboxOptionsFrom } from '../sandboxFlags';
import { MAX_TIMEOUT_MS, parseArgs, requireCommand } from '../args';
import { backendList, parseBackends } from '../backendsFlag';
import { BACKEND_NAMES } from '../../runners/backendNames';
import type { Command } from '../command';
import { assertSavable, baselineFile, loadBaseline, saveBaseline } from '../compare/baselineStore';
import { commandArgv, runPlan } from '../compare/runOptions';
import { historyPathFor, openRecording } from '../database';
import { assertExportTarget, writeExport } from '../exportFile';
import { comparisonText } from '../format/comparisonText';
import { colours, progressBar } from '../terminal';
import { version } from '../version';

const FLAGS = {
  sandbox: { type: 'list', value: 'BACKENDS' },
  runs: { type: 'string', value: 'N|auto', short: 'r' },
  warmup: { type: 'string', value: 'N|auto', short: 'w' },
  precision: { type: 'string', value: 'P%' },
  'min-runs': { type: 'integer', min: 2, value: 'N', short: 'm' },
  'max-runs': { type: 'integer', min: 2, value: 'N', short: 'M' },
  'max-time': { type: 'number', min: 1, value: 'SECONDS' },
  shell: { type: 'boolean' },
  setup: { type: 'string', value: 'CMD', short: 's' },
  prepare: { type: 'string', value: 'CMD', short: 'p' },
  cleanup: { type: 'string', value: 'CMD', short: 'c' },
  'show-output': { type: 'boolean' },
  timeout: { type: 'integer', min: 1, max: MAX_TIMEOUT_MS, value: 'MS' },
  ...SANDBOX_FLAGS,
  threshold: { type: 'number', min: 0, value: 'MS' },
  'save-baseline': { type: 'string', value: 'NAME' },
  baseline: { type: 'string', value: 'NAME' },
  'export-json': { type: 'string', value: 'FILE' },
  'export-hyperfine': { type: 'string', value: 'FILE' },
  'export-csv': { type: 'string', value: 'FILE' },
  'export-markdown': { type: 'string', value: 'FILE' },
  db: { type: 'string', value: 'FILE' },
  help: { type: 'boolean' },
} as const;

const EXPORTERS = {
  'export-json': comparisonToJson,
  'export-hyperfine': comparisonToHyperfine,
  'export-csv': comparisonToCsv,
  'export-markdown': comparisonToMarkdown,
} as const;

export { MAX_RUNS, MAX_WARMUP } from '../compare/runOptions';

export const compareCommand: Command = {
  name: 'compare',
  summary: 'compare what isolation costs across sandbox backends (interleaved runs, intervals and tests, hyperfine-compatible)',
  usage: `Usage: sandbox-perf compare [options] -- COMMAND [ARGS...]

Runs COMMAND on each backend, interleaved (A B C A B C ...), and reports per backend
mean ± σ, user/system CPU, median, min … max, p95, 95 % intervals of the mean (t) and median
(order statistic), outliers (MAD), phases; then against 'none' the per-round difference and
ratio with 95 % intervals, Wilcoxon's p and the Hodges-Lehmann shift, or "no significant
difference" when the interval contains 0. Every timed run is recorded; warm-up runs are not.
The machine's state is checked first and recorded with the result.

Options:
  --sandbox LIST            backends, comma-separated      [default: none,unshare]
                            (${backendList(BACKEND_NAMES, '                            ', 90)})
  -r, --runs N|auto         timed rounds (1 to 100000), or until precise enough [default: 10]
  -w, --warmup N|auto       untimed rounds first (0 to 10000); auto: until the last two
                            runs of every backend agree within 10 % (2 to 10) [default: 1]
  --precision P%            with --runs auto: stop when every interval is within P %
                            of the baseline's mean              [default: 5%]
  -m, --min-runs N          with --runs auto                   [default: 10]
  -M, --max-runs N          with --runs auto                   [default: 200]
  --max-time SECONDS        with --runs auto                   [default: 300]
  --shell                   run COMMAND through /bin/sh -c (one string, as hyperfine does)
  -s, --setup CMD           shell command on the host before a backend's first run
  -p, --prepare CMD         shell command on the host before each run (not timed)
  -c, --cleanup CMD         shell command on the host after a backend's last run
                            (hooks see SANDBOX_PERF_BACKEND)
  --show-output             print the output of every run as it comes (escaped)
  --timeout MS              per-run timeout, up to 2147483647 [default: 300000]
  --memory MB, --cpus N     limits (Docker, or cgroup v1 on the host)
  --threshold MS            alert threshold                [default: 5000]
  --network                 give the command network access
  --save-baseline NAME      keep this comparison as NAME (baselines/ beside the history)
  --baseline NAME           compare today's run times and overheads with the saved NAME
  --export-json FILE        every duration, statistic and the machine's fingerprint as JSON
  --export-hyperfine FILE   hyperfine's JSON format (results[], seconds)
  --export-csv FILE         one row per backend (hyperfine's columns first)
  --export-markdown FILE    a Markdown table (hyperfine's columns first)
  --db FILE                 history file   [default: $SANDBOX_PERF_DB, else ~/.local/state/sandbox-perf/<dir>-<hash>/state.db]
  --help                    this text
`,
  async run(argv, io) {
    const parsed = parseArgs(argv, FLAGS, 'compare');
    if (parsed.flags.help) {
      io.stdout.write(this.usage);
      return 0;
    }
    // With --shell the words after '--' are one shell line: checked as the /bin/sh -c argv they become.
    const shell = parsed.flags.shell === true && parsed.command !== null && parsed.command.length > 0;
    const command = requireCommand(shell ? { ...parsed, command: commandArgv(parsed.command ?? [], true) } : parsed, 'compare', io.cwd);
    const backends = parseBackends(parsed.flags.sandbox ?? ['none', 'unshare']);
    const plan = runPlan(parsed.flags);
    const historyPath = historyPathFor(parsed.flags.db, io);
    const exports = (Object.keys(EXPORTERS) as (keyof typeof EXPORTERS)[])
      .filter((f) => parsed.flags[f] !== undefined)
      .map((f) => ({ flag: f, file: assertExportTarget(f, parsed.flags[f] as string, io.cwd, historyPath.file) }));
    const sandbox = sandboxOptionsFrom(parsed.flags, io.cwd);
    const hooks = {
      ...(parsed.flags.setup === undefined ? {} : { setup: parsed.flags.setup as string }),
      ...(parsed.flags.prepare === undefined ? {} : { prepare: parsed.flags.prepare as string }),
      ...(parsed.flags.cleanup === undefined ? {} : { cleanup: parsed.flags.cleanup as string }),
    };
    const c = colours(io.stdout, io.env);
    const showOutput = parsed.flags['show-output'] === true;

    const fingerprint = await machineFingerprint(version, io.env);
    // Before anything is measured, on stdout with the results it qualifies (as hyperfine prints its warnings).
    for (const warning of noiseWarnings(fingerprint)) io.stdout.write(`${c.yellow('Warning:')} ${warning}\n`);

    // Both checked before any run: a typo must not cost a whole comparison.
    const saveAs =
      parsed.flags['save-baseline'] === undefined
        ? null
        : baselineFile(historyPath.file, 'save-baseline', parsed.flags['save-baseline'] as string);
    if (saveAs) assertSavable(saveAs);
    const savedName = parsed.flags.baseline as string | undefined;
    const saved = savedName === undefined ? null : loadBaseline(baselineFile(historyPath.file, 'baseline', savedName), savedName);
    const recording = openRecording(historyPath, parsed.flags.threshold as number | undefined, io);
    const { monitor } = recording;
    const bar = progressBar(io, plan.runs * backends.length);
    const target = plan.adaptive ? ` (target ${(plan.adaptive.precision * 100).toFixed(1)} %)` : '';
    let note = '';
    try {
      // The writer thread starts now rather than during the second timed run.
      await recording.open();
      const measured = await compareBackends({
        backends,
        command,
        runs: plan.runs,
        warmup: plan.warmup,
        ...(plan.adaptive ? { adaptive: plan.adaptive } : {}),
        sandbox,
        monitor,
        hooks,
        fingerprint,
        ...(parsed.flags.timeout === undefined ? {} : { timeoutMs: parsed.flags.timeout as number }),
        ...(showOutput
          ? {
              // The command is untrusted: its output is escaped (line breaks kept) before it reaches the terminal.
              onOutput: (_: unknown, stream: 'stdout' | 'stderr', chunk: Buffer) => {
                bar.end();
                (stream === 'stdout' ? io.stdout : io.stderr).write(chunk.toString('utf8').split('\n').map(printable).join('\n'));
              },
            }
          : {}),
        onRun: (backend) => bar.tick(backend, note),
        onRound: (round, worst) => {
          if (plan.adaptive && Number.isFinite(worst)) note = `round ${round}, ±${(worst * 100).toFixed(1)} %${target}`;
        },
      });
      bar.end();
      const result =
        saved && savedName !== undefined ? { ...measured, againstBaseline: compareWithSaved(measured, saved, savedName) } : measured;
      if (saveAs) saveBaseline(saveAs, measured);
      // A failure message ends with the command's stderr: escaped before it reaches the terminal.
      io.stdout.write(comparisonText(printableDeep(result), c));
      for (const { flag, file } of exports) writeExport(flag, file, historyPath.file, EXPORTERS[flag](result));
      return result.backends.some((b) => b.summary.count === 0) ? 1 : 0;
    } finally {
      bar.end();
      await recording.finish();
    }
  },
};
