import { runInSandbox } from '../../runners/runInSandbox';
import { createBackend } from '../../runners/createBackend';
import { HostBackend } from '../../runners/host/HostBackend';
import type { CommandLine } from '../../runners/host/commandLine';
import type { SandboxBackend } from '../../runners/types';
import { commandLineText } from '../format/commandLineText';
import { DEFAULT_TIMEOUT_MS } from '../../runners/options';
import { SANDBOX_FLAGS, sandboxOptionsFrom, workdirUsage } from '../sandboxFlags';
import { MAX_TIMEOUT_MS, parseArgs, requireCommand } from '../args';
import { backendList, parseBackends } from '../backendsFlag';
import { BACKEND_NAMES } from '../../runners/backendNames';
import { defineCommand, UsageError, type Command, type CommandIo } from '../command';
import { historyPathFor, openRecording, DB_HELP } from '../database';
import { assertHistoryOutOfReach } from '../historyOutOfReach';
import { colours } from '../terminal';
import { constants } from 'node:os';
import { runToJson } from '../format/runJson';
import { runLine } from '../format/runText';
import { keptText } from '../format/keptText';
import { warnHostCodeInWorkdir } from '../workdirWarning';
import { blockOnPipes } from '../blockingOutput';
import { assertWorkloadName } from '../../runners/workload';
import { ValidationError } from '../../validation';

const FLAGS = {
  sandbox: { type: 'string', value: 'BACKEND' },
  timeout: { type: 'integer', min: 1, max: MAX_TIMEOUT_MS, value: 'MS' },
  ...SANDBOX_FLAGS,
  threshold: { type: 'number', min: 0, value: 'MS' },
  workload: { type: 'string', value: 'NAME' },
  json: { type: 'boolean' },
  'print-command': { type: 'boolean' },
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
  --pids-limit N      processes and threads the run may hold (a fork bomb     [default: 512]
                      gets EAGAIN; on unshare and bubblewrap up to N+299)
  --tmp-size MB       size of each private tmpfs (/tmp, /dev/shm)             [default: 512]
  --threshold MS      alert when the run takes longer                         [default: 5000]
  --network           give the command network access                         [default: off]
  --gvisor-root ROOT  gvisor's root: host, or image (the Docker image's)      [default: host]
  ${workdirUsage(22)}
  --workload NAME     what the job is called in reports   [default: a key from the command and cwd]
  --json              print the record as JSON on stdout (commandMs, overheadMs, workload, phases,
                      untimed set-up and teardown, the command line); the command's own output
                      then goes to stderr
  --print-command     print the exact command line a run executes and times, and what it needs
                      (host backends), without running it: hand it to hyperfine -N. A sandbox's
                      prepared root is kept for it (the output says how to remove it). With --json, as JSON
  --db FILE           ${DB_HELP}
  --help              this text
`,
  async run(argv, io) {
    const parsed = parseArgs(argv, FLAGS, 'run');
    const command = requireCommand(parsed, 'run', io.cwd);
    const [backend] = parseBackends(parsed.flags.sandbox ?? 'none');
    const sandbox = sandboxOptionsFrom(parsed.flags, io.cwd);
    const json = parsed.flags.json === true;
    const name = backend ?? 'none';
    // A flag's bad value is a usage error naming the flag, before anything runs (it named `workload`, exit 1).
    if (parsed.flags.workload !== undefined) {
      try {
        assertWorkloadName(parsed.flags.workload, '--workload');
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        throw new UsageError(error.message);
      }
    }
    if (parsed.flags['print-command'] === true) {
      // An overlay's layer is made for each run: there is no one line to print for it.
      if (sandbox.workdir === 'overlay')
        throw new UsageError('--print-command: --workdir overlay makes a layer for each run; print with --workdir rw or ro');
      return printCommandLine(createBackend(name, sandbox), command, json, io);
    }
    warnHostCodeInWorkdir(io.stderr, io.cwd, sandbox.workdir ?? 'rw', [backend ?? 'none']);
    const where = historyPathFor(parsed.flags.db, io);
    assertHistoryOutOfReach(where, { cwd: io.cwd, ...sandbox }, [backend ?? 'none']);
    const recording = openRecording(where, parsed.flags.threshold as number | undefined, io);
    const { monitor } = recording;
    if (io.stdout === process.stdout) blockOnPipes();
    try {
      // Prepared here rather than by runInSandbox, so that the command line it ran can be told.
      const sandboxBackend = createBackend(name, sandbox);
      let t = performance.now();
      await sandboxBackend.prepare();
      const prepareMs = performance.now() - t;
      const line = sandboxBackend instanceof HostBackend ? sandboxBackend.commandLine(command) : null;
      let run;
      // Whether the command's standard error ended mid-line (a progress bar, `printf partial >&2`): this line then starts on a new one.
      const stderrEnd = { midLine: false };
      try {
        run = await runInSandbox(sandboxBackend, command, {
          monitor,
          ...(parsed.flags.timeout === undefined ? {} : { timeoutMs: parsed.flags.timeout as number }),
          // Passed through as it comes, without a cap; nothing is kept. Writes block on a pipe
          // (blockOnPipes, above), so a slow reader slows the copy rather than filling memory.
          maxOutputBytes: 0,
          onOutput: (stream, chunk) => {
            const to = stream === 'stdout' && !json ? io.stdout : io.stderr;
            if (to === io.stderr && chunk.length > 0) stderrEnd.midLine = chunk[chunk.length - 1] !== 10;
            to.write(chunk);
          },
          ...(parsed.flags.workload === undefined ? {} : { workload: parsed.flags.workload }),
        });
      } finally {
        t = performance.now();
        await sandboxBackend.teardown();
      }
      run.setup = { prepareMs, teardownMs: performance.now() - t };
      if (json) io.stdout.write(`${JSON.stringify(runToJson(run, line))}\n`);
      const c = colours(io.stderr, io.env);
      io.stderr.write(`${stderrEnd.midLine ? '\n' : ''}${runLine(run, monitor.thresholdMs, c)}\n`);
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

/**
 * `run --print-command`: prepares the backend, prints the line a run would execute and time, and
 * keeps the sandbox's root for it (the line names it). Nothing is run or recorded.
 */
async function printCommandLine(backend: SandboxBackend, command: readonly string[], json: boolean, io: CommandIo): Promise<number> {
  if (!(backend instanceof HostBackend)) {
    throw new UsageError(
      `--print-command: ${backend.name} has no command line to print (a host backend has: none, unshare, bubblewrap, gvisor)`,
    );
  }
  await backend.prepare();
  let line: CommandLine;
  try {
    backend.keepRoot();
    line = backend.commandLine(command);
  } finally {
    await backend.teardown();
  }
  io.stdout.write(json ? `${JSON.stringify(line)}\n` : commandLineText(line));
  return 0;
}
