import { runInSandbox } from '../../runners/runInSandbox';
import { DEFAULT_TIMEOUT_MS } from '../../runners/options';
import { SANDBOX_FLAGS, sandboxOptionsFrom, workdirUsage } from '../sandboxFlags';
import { MAX_TIMEOUT_MS, parseArgs, requireCommand } from '../args';
import { backendList, parseBackends } from '../backendsFlag';
import { BACKEND_NAMES } from '../../runners/backendNames';
import { defineCommand, type Command } from '../command';
import { historyPathFor, openRecording, DB_HELP } from '../database';
import { assertHistoryOutOfReach } from '../historyOutOfReach';
import { colours } from '../terminal';
import { constants } from 'node:os';
import { runToJson } from '../format/runJson';
import { runLine } from '../format/runText';
import { keptText } from '../format/keptText';
import { warnHostCodeInWorkdir } from '../workdirWarning';

const FLAGS = {
  sandbox: { type: 'string', value: 'BACKEND' },
  timeout: { type: 'integer', min: 1, max: MAX_TIMEOUT_MS, value: 'MS' },
  ...SANDBOX_FLAGS,
  threshold: { type: 'number', min: 0, value: 'MS' },
  workload: { type: 'string', value: 'NAME' },
  json: { type: 'boolean' },
  db: { type: 'string', value: 'FILE' },
} as const;

export const runCommand: Command = defineCommand({
  name: 'run',
  summary: 'run one command in a sandbox and record how long it took',
  usage: `Usage: sandbox-perf run [options] -- COMMAND [ARGS...]

Runs COMMAND once in the chosen sandbox (none, the default, is the bare baseline: no
isolation), passes its output through as it comes (no size limit), then prints the record
(duration, phases, outcome, alert) on stderr, and the backend's prepare + teardown, which the
record does not count. The exit code is the command's (124 after a
timeout, 128+N when killed by signal N, 127 when it could not start), whatever state the
history is in: a history that cannot be written is reported on stderr with
the number of runs not recorded, and does not change the exit code.

Options:
  --sandbox BACKEND   ${backendList(BACKEND_NAMES, '', Infinity)}   [default: none]
  --timeout MS        kill the run (and everything it started) after MS ms   [default: ${DEFAULT_TIMEOUT_MS}]
  --memory MB         memory limit (Docker, or cgroup v1 on the host)         [default: none]
  --cpus CPUS         CPU limit, e.g. 0.5                                     [default: none]
  --threshold MS      alert when the run takes longer                         [default: 5000]
  --network           give the command network access                         [default: off]
  ${workdirUsage(22)}
  --workload NAME     what the job is called in reports   [default: a key from the command and cwd]
  --json              print the record as JSON on stdout (commandMs, overheadMs, workload, phases);
                      the command's own output then goes to stderr
  --db FILE           ${DB_HELP}
  --help              this text
`,
  async run(argv, io) {
    const parsed = parseArgs(argv, FLAGS, 'run');
    const command = requireCommand(parsed, 'run', io.cwd);
    const [backend] = parseBackends(parsed.flags.sandbox ?? 'none');
    const sandbox = sandboxOptionsFrom(parsed.flags, io.cwd);
    warnHostCodeInWorkdir(io.stderr, io.cwd, sandbox.workdir ?? 'rw', [backend ?? 'none']);
    const where = historyPathFor(parsed.flags.db, io);
    assertHistoryOutOfReach(where, { cwd: io.cwd, ...sandbox }, [backend ?? 'none']);
    const recording = openRecording(where, parsed.flags.threshold as number | undefined, io);
    const { monitor } = recording;
    const json = parsed.flags.json === true;
    try {
      const run = await runInSandbox(backend ?? 'none', command, {
        ...sandbox,
        monitor,
        ...(parsed.flags.timeout === undefined ? {} : { timeoutMs: parsed.flags.timeout as number }),
        // Passed through as it comes, without a cap; nothing is kept. Writes to a file, a pipe or a
        // terminal are synchronous on Linux, so a slow reader slows the copy rather than filling memory.
        maxOutputBytes: 0,
        onOutput: (stream, chunk) => (stream === 'stdout' && !json ? io.stdout : io.stderr).write(chunk),
        ...(parsed.flags.workload === undefined ? {} : { workload: parsed.flags.workload as string }),
      });
      if (json) io.stdout.write(`${JSON.stringify(runToJson(run))}\n`);
      const c = colours(io.stderr, io.env);
      io.stderr.write(`${runLine(run, monitor.thresholdMs, c)}\n`);
      const { result } = run;
      if (result.kept) io.stderr.write(`${c.bold('sandbox-perf:')} ${keptText(result.kept)}\n`);
      if (result.outcome === 'timeout') return 124;
      if (result.exitCode !== null) return result.exitCode;
      if (result.signal) return 128 + ((constants.signals as Partial<Record<string, number>>)[result.signal] ?? 0);
      return 127;
    } finally {
      await recording.finish();
    }
  },
});
