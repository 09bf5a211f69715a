import { compareBackends, type ComparisonResult } from '../../compare/compareBackends';
import { DEFAULT_TIMEOUT_MS } from '../../runners/options';
import { machineFingerprint } from '../../machine/fingerprint';
import { HARNESS_RUNS, measureHarnessCost } from '../../runners/host/harnessCost';
import { noiseWarnings } from '../../machine/noise';
import { compareWithSaved } from '../../compare/savedBaseline';
import { TIME_UNITS, formatIn, type TimeUnit } from '../../export/comparison/timeUnit';
import { printable, printableDeep } from '../../printable';
import { SANDBOX_FLAGS, sandboxOptionsFrom, workdirUsage } from '../sandboxFlags';
import { warnHostCodeInWorkdir } from '../workdirWarning';
import { MAX_TIMEOUT_MS, parseArgs } from '../args';
import { backendList, parseBackends } from '../backendsFlag';
import { BACKEND_NAMES } from '../../runners/backendNames';
import { defineCommand, UsageError, type Command } from '../command';
import { assertSavable, baselineFile, loadBaseline, saveBaseline } from '../compare/baselineStore';
import { compareWorkloads, ignoredExitCodes } from '../compare/commandLine';
import { exportTargets, writeExports } from '../compare/exports';
import { runPlan } from '../compare/runOptions';
import { SCALE_FLAGS, scalePlan } from '../compare/scaleFlags';
import { scaling, type ScalingResult } from '../../compare/scaling';
import { scalingText } from '../format/scalingText';
import { STYLES, outputStyle } from '../compare/style';
import { historyPathFor, openRecording, DB_HELP } from '../database';
import { assertHistoryOutOfReach } from '../historyOutOfReach';
import { comparisonText } from '../format/comparisonText';
import { formatMs, progressBar } from '../terminal';
import { version } from '../version';
import { MAX_CONCURRENCY, MAX_LOAD_RUNS, MAX_RATE } from '../../compare/throughput';
import { throughputOption } from '../compare/loadFlags';
import { poolOption } from '../compare/poolSizeFlag';

export const COMPARE_FLAGS = {
  sandbox: { type: 'list', value: 'BACKENDS' },
  runs: { type: 'string', value: 'N|auto', short: 'r' },
  warmup: { type: 'string', value: 'N|auto', short: 'w' },
  precision: { type: 'string', value: 'P%' },
  'min-runs': { type: 'integer', min: 2, value: 'N', short: 'm' },
  'max-runs': { type: 'integer', min: 2, value: 'N', short: 'M' },
  'max-time': { type: 'number', min: 1, value: 'SECONDS' },
  shell: { type: 'string', value: 'SHELL', short: 'S', bare: 'default' },
  'no-shell': { type: 'boolean', short: 'N' },
  'command-name': { type: 'string', value: 'NAME', short: 'n', repeatable: true },
  'parameter-scan': { type: 'string', value: 'VAR MIN MAX', short: 'P', arity: 3 },
  'parameter-step-size': { type: 'string', value: 'DELTA', short: 'D' },
  'parameter-list': { type: 'string', value: 'VAR VALUES', short: 'L', arity: 2, repeatable: true },
  'ignore-failure': { type: 'string', value: 'CODES', short: 'i', bare: 'all-non-zero', equalsOnly: true },
  setup: { type: 'string', value: 'CMD', short: 's' },
  prepare: { type: 'string', value: 'CMD', short: 'p' },
  cleanup: { type: 'string', value: 'CMD', short: 'c' },
  'show-output': { type: 'boolean' },
  style: { type: 'choice', choices: STYLES },
  'time-unit': { type: 'choice', choices: TIME_UNITS, short: 'u' },
  timeout: { type: 'integer', min: 1, max: MAX_TIMEOUT_MS, value: 'MS' },
  concurrency: { type: 'integer', min: 1, max: MAX_CONCURRENCY, value: 'N' },
  rate: { type: 'number', min: 0.001, max: MAX_RATE, value: 'R' },
  'load-runs': { type: 'integer', min: 1, max: MAX_LOAD_RUNS, value: 'N' },
  'pool-size': { type: 'string', value: 'N|MIN-MAX' },
  ...SANDBOX_FLAGS,
  threshold: { type: 'number', min: 0, value: 'MS' },
  'save-baseline': { type: 'string', value: 'NAME' },
  baseline: { type: 'string', value: 'NAME' },
  'export-json': { type: 'string', value: 'FILE' },
  'export-hyperfine': { type: 'string', value: 'FILE' },
  'export-csv': { type: 'string', value: 'FILE' },
  'export-markdown': { type: 'string', value: 'FILE' },
  db: { type: 'string', value: 'FILE' },
  ...SCALE_FLAGS,
} as const;

export { MAX_RUNS, MAX_WARMUP } from '../compare/runOptions';

export const compareCommand: Command = defineCommand({
  name: 'compare',
  summary: 'compare what isolation costs across sandbox backends (interleaved runs, intervals and tests, hyperfine-compatible)',
  usage: `Usage: sandbox-perf compare [options] -- COMMAND [ARGS...]
       sandbox-perf compare [options] 'COMMAND ARGS' ['COMMAND ARGS' ...]

Runs COMMAND on each backend, interleaved (one run of each per round, the order balanced:
each backend runs right after each other one equally often), and reports per backend
mean ± σ, user/system CPU, median, min … max, p95, 95 % intervals of the mean (t) and median
(order statistic), outliers (MAD), phases; then against 'none' the per-round difference and
ratio with 95 % intervals, Wilcoxon's p and the Hodges-Lehmann shift, or "no significant
difference" when the interval contains 0. Every timed run is recorded; warm-up runs are not.
The machine's state is checked first and recorded with the result.

Commands in hyperfine's form, each one quoted argument, are each their own workload, compared
across the backends one after the other; so is each value of a parameter (-P, -L). They run
without a shell (hyperfine's -N), split into words as a shell would split them; one that needs
a shell (|, &&, ;, >, $…) is refused unless --shell or -N says what to do.

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
  -N                        no shell, as --shell=none: the default here, accepted for hyperfine
  -S, --shell [SHELL]       run each command through SHELL -c inside the sandbox: a name, a path
                            or a command line ('bash --norc'); without SHELL or 'default': /bin/sh;
                            'none': no shell. With '--', the words after it are one shell line
  -n, --command-name NAME   name the command (once per command, or with parameters once for
                            all or once per benchmark); {VAR} is replaced as in the command
  -P, --parameter-scan VAR MIN MAX
                            one workload per value MIN, MIN+1, … MAX, replacing {VAR} in the
                            commands, names and hooks (decimal bounds need -D)
  -D, --parameter-step-size DELTA
                            with -P: step by DELTA (e.g. -P delay 0.3 0.7 -D 0.2)
  -L, --parameter-list VAR VALUES
                            one workload per comma-separated value (\\, for a comma); repeat -L
                            for every combination. Each value is recorded with its results
                            (Parameters in the text, "parameters" in every JSON export)
  --scale SIZES             -L size SIZES, then per backend a line through the sizes: cost =
                            a + b·size with 95 % intervals ("scaling" in --export-json); the
                            sandboxes' cost is their run time minus none's, round by round
  --scale-name NAME         the size's name ({NAME} in the command)       [default: size]
  --at SIZE                 with --scale: extrapolate each line to SIZE
  -i, --ignore-failure[=CODES]
                            count runs that exit non-zero (or with one of CODES: -i=1,2) as
                            measurements. Without it such a run is a failure: left out of the
                            statistics and counted, the comparison goes on, and compare exits 1
                            when a backend has no successful run. A run killed by a signal, timed
                            out or that could not start is a failure either way
  -s, --setup CMD           shell command on the host before a backend's first run
  -p, --prepare CMD         shell command on the host before each run (not timed)
  -c, --cleanup CMD         shell command on the host after a backend's last run
                            (hooks see SANDBOX_PERF_BACKEND)
  --show-output             print the output of every run as it comes (escaped)
  --style TYPE              auto: colours and progress bar on a terminal; basic: neither;
                            full: both even when not a terminal; nocolor; color (no bar);
                            none: nothing on stdout (exports are still written) [default: auto]
  -u, --time-unit UNIT      microsecond, millisecond or second, for the text and the Markdown
                            export (JSON, hyperfine's JSON and CSV stay in their units)
  --concurrency N           then, per backend in turn, keep N runs in flight (closed loop, as an
                            orchestrator does): runs/s, latency p50/p99, a pool's waits
  --rate R                  then arrivals on a timer at R per second (open stream), however many
                            are in flight: runs/s, latency and a pool's waits p50/p99
  --load-runs N             runs per backend for each of those [default: the rounds run, with
                            --concurrency at least 4 × N]. Not recorded in the history
  --pool-size N|MIN-MAX     docker-pool and gvisor-pool: N sandboxes kept ready, or MIN-MAX for a
                            pool that sizes itself from its arrival rate and refill time [default: 2]
  --timeout MS              per-run and per-hook timeout (a hook is killed with its whole
                            process group), up to ${MAX_TIMEOUT_MS} [default: ${DEFAULT_TIMEOUT_MS}]
  --memory MB, --cpus N     limits (Docker, or cgroup v1 on the host)
  --pids-limit N            processes and threads a run may hold (unshare, bubblewrap: up to
                            N+299; see docs/runners.md) [default: 512]
  --tmp-size MB             size of each private tmpfs (/tmp, /dev/shm) [default: 512]
  --threshold MS            alert threshold                [default: 5000]
  --network                 give the command network access
  --gvisor-root host|image  gvisor's root: the host's, or the image's as gvisor-pool
                            has it (a fair gvisor-pool saving)  [default: host]
  ${workdirUsage(28)}
  --save-baseline NAME      keep this comparison as NAME (baselines/ beside the history; one command)
  --baseline NAME           compare today's run times and overheads with the saved NAME
  --export-json FILE        every duration, statistic and the machine's fingerprint as JSON;
                            several commands or parameters: { "workloads": [ … ] }
  --export-hyperfine FILE   hyperfine's JSON format (results[], seconds), what its scripts read;
                            a backend with no successful run is left out, and stderr says so
  --export-csv FILE         one row per backend (hyperfine's columns first)
  --export-markdown FILE    a Markdown table (hyperfine's columns first)
  --db FILE                 ${DB_HELP}
  --help                    this text

Examples:
  sandbox-perf compare --sandbox none,bubblewrap -- node -e 0
  sandbox-perf compare --sandbox none,docker -n small -n large 'node build.js 10' 'node build.js 1000'
  sandbox-perf compare --sandbox none,gvisor -L files 100,1000,10000 --export-json scale.json -- node build.js {files}
  sandbox-perf compare --sandbox none,docker --scale 1,2,4,8 --scale-name copies --at 100 -- sh build.sh {copies}
  sandbox-perf compare --shell 'sleep 0.1 && true' 'sleep 0.2'
`,
  async run(argv, io) {
    const { parsed, scale } = scalePlan(parseArgs(argv, COMPARE_FLAGS, 'compare', { interspersed: true }));
    const { plans, several } = compareWorkloads(parsed, io.cwd);
    const backends = parseBackends(parsed.flags.sandbox ?? ['none', 'unshare']);
    const plan = runPlan(parsed.flags);
    const ignoreExitCodes = ignoredExitCodes(parsed.flags);
    const historyPath = historyPathFor(parsed.flags.db, io);
    const sandbox = { ...sandboxOptionsFrom(parsed.flags, io.cwd), ...poolOption(parsed.flags) };
    assertHistoryOutOfReach(historyPath, { cwd: io.cwd, ...sandbox }, backends);
    const exportFiles = exportTargets(parsed.flags, io.cwd, historyPath.file);
    warnHostCodeInWorkdir(io.stderr, io.cwd, sandbox.workdir ?? 'rw', backends);
    const style = outputStyle(parsed.flags.style as string | undefined, io);
    const c = style.colours;
    const timeUnit = parsed.flags['time-unit'] as TimeUnit | undefined;
    const time = timeUnit === undefined ? formatMs : (ms: number) => formatIn(ms, timeUnit);
    const out = (text: string): void => {
      if (!style.quiet) io.stdout.write(text);
    };
    const showOutput = parsed.flags['show-output'] === true;
    if (plans.length > 1 && (parsed.flags['save-baseline'] !== undefined || parsed.flags.baseline !== undefined)) {
      const flag = parsed.flags['save-baseline'] !== undefined ? 'save-baseline' : 'baseline';
      throw new UsageError(`--${flag} keeps or reads one comparison; this call has ${plans.length} (run it for one command)`);
    }

    const fingerprint = await machineFingerprint(version, io.env);
    // Before anything is measured, on stdout with the results it qualifies (as hyperfine prints its warnings).
    for (const warning of noiseWarnings(fingerprint)) out(`${c.yellow('Warning:')} ${warning}\n`);
    // What the harness itself costs per run, in and around the timed window: printed in each header.
    const harness = await measureHarnessCost(HARNESS_RUNS, sandbox.cwd ?? io.cwd);

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
    const target = plan.adaptive ? ` (target ${(plan.adaptive.precision * 100).toFixed(1)} %)` : '';
    const results: ComparisonResult[] = [];
    let bar = progressBar(io, 0, false);
    try {
      // The writer thread starts now rather than during the second timed run.
      await recording.open();
      for (const [i, workload] of plans.entries()) {
        if (i > 0) out('\n');
        bar = progressBar(io, plan.runs * backends.length, style.progress);
        const label = plans.length > 1 ? `${i + 1}/${plans.length} ` : '';
        let note = '';
        const measured = await compareBackends({
          backends,
          command: workload.command,
          runs: plan.runs,
          warmup: plan.warmup,
          ...(plan.adaptive ? { adaptive: plan.adaptive } : {}),
          sandbox,
          monitor,
          hooks: workload.hooks,
          fingerprint,
          ...(ignoreExitCodes === undefined ? {} : { ignoreExitCodes }),
          ...(parsed.flags.timeout === undefined ? {} : { timeoutMs: parsed.flags.timeout as number }),
          ...throughputOption(parsed.flags),
          ...(showOutput
            ? {
                // The command is untrusted: its output is escaped (line breaks kept) before it reaches the terminal.
                onOutput: (_: unknown, stream: 'stdout' | 'stderr', chunk: Buffer) => {
                  bar.end();
                  (stream === 'stdout' ? io.stdout : io.stderr).write(chunk.toString('utf8').split('\n').map(printable).join('\n'));
                },
              }
            : {}),
          onRun: (backend) => bar.tick(`${label}${backend}`, note),
          onRound: (round, worst) => {
            if (plan.adaptive && Number.isFinite(worst)) note = `round ${round}, ±${(worst * 100).toFixed(1)} %${target}`;
          },
        });
        bar.end();
        const named: ComparisonResult = {
          ...measured,
          harness,
          ...(workload.name === null ? {} : { name: workload.name }),
          ...(Object.keys(workload.parameters).length > 0 ? { parameters: workload.parameters } : {}),
        };
        const result = saved && savedName !== undefined ? { ...named, againstBaseline: compareWithSaved(named, saved, savedName) } : named;
        if (saveAs) saveBaseline(saveAs, named);
        // A failure message ends with the command's stderr, a name is typed by the user: escaped before they reach the terminal.
        out(comparisonText(printableDeep(result), c, time));
        results.push(result);
      }
      let scaled: ScalingResult | undefined;
      if (scale) {
        scaled = scaling(results, scale.parameter, scale.at);
        out(scalingText(scaled, c, time));
      }
      writeExports(exportFiles, several ? results : (results[0] as ComparisonResult), timeUnit, historyPath.file, io, scaled);
      return results.some((r) => r.backends.some((b) => b.summary.count === 0)) ? 1 : 0;
    } finally {
      bar.end();
      await recording.finish();
    }
  },
});
