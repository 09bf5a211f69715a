import fs from 'node:fs';
import os from 'node:os';
import { compareBackends } from '../../compare/compareBackends';
import { comparisonToCsv, comparisonToJson, comparisonToMarkdown } from '../../export/comparison';
import type { SandboxOptions } from '../../runners/types';
import { MAX_TIMEOUT_MS, parseArgs, requireCommand } from '../args';
import { parseBackends } from '../backendsFlag';
import type { Command } from '../command';
import { assertWritableTarget, historyPathFor, openRecording } from '../database';
import { comparisonText } from '../format/comparisonText';
import { colours, progressBar } from '../terminal';
import { printableDeep } from '../../printable';

/** Largest --runs: a comparison of this size already takes hours; a typo must not run forever. */
export const MAX_RUNS = 100_000;
export const MAX_WARMUP = 10_000;

const FLAGS = {
  sandbox: { type: 'list', value: 'BACKENDS' },
  runs: { type: 'integer', min: 1, max: MAX_RUNS, value: 'N' },
  warmup: { type: 'integer', min: 0, max: MAX_WARMUP, value: 'N' },
  timeout: { type: 'integer', min: 1, max: MAX_TIMEOUT_MS, value: 'MS' },
  memory: { type: 'number', min: 6, value: 'MB' },
  cpus: { type: 'number', min: 0.01, max: os.availableParallelism(), value: 'CPUS' },
  threshold: { type: 'number', min: 0, value: 'MS' },
  network: { type: 'boolean' },
  'export-json': { type: 'string', value: 'FILE' },
  'export-csv': { type: 'string', value: 'FILE' },
  'export-markdown': { type: 'string', value: 'FILE' },
  db: { type: 'string', value: 'FILE' },
  help: { type: 'boolean' },
} as const;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'compare what isolation costs across sandbox backends (interleaved runs, hyperfine-style statistics)',
  usage: `Usage: sandbox-perf compare [options] -- COMMAND [ARGS...]

Runs COMMAND on each backend, interleaved (A B C A B C ...), and reports per backend
mean ± σ, median, min … max and p95, outliers (modified z-score by the MAD), phases, and the
overhead against 'none' as "X ± Y times slower" (error propagated from both sides) and in ms.
Every timed run is recorded in the history; warm-up runs are not.

Options:
  --sandbox LIST          backends, comma-separated      [default: none,unshare]
                          (none, unshare, bubblewrap, docker, docker-warm, docker-pool,
                          gvisor, gvisor-pool)
  --runs N                timed runs per backend, 1 to 100000          [default: 10]
  --warmup N              untimed runs per backend first, 0 to 10000   [default: 1]
  --timeout MS            per-run timeout, up to 2147483647            [default: 300000]
  --memory MB, --cpus N   limits (Docker, or cgroup v1 on the host)
  --threshold MS          alert threshold                [default: 5000]
  --network               give the command network access
  --export-json FILE      every duration and statistic as JSON
  --export-csv FILE       one row per backend
  --export-markdown FILE  a Markdown table
  --db FILE               history file   [default: $SANDBOX_PERF_DB or ./.sandbox-perf/state.db]
  --help                  this text
`,
  async run(argv, io) {
    const parsed = parseArgs(argv, FLAGS, 'compare');
    if (parsed.flags.help) {
      io.stdout.write(this.usage);
      return 0;
    }
    const command = requireCommand(parsed, 'compare', io.cwd);
    const backends = parseBackends(parsed.flags.sandbox ?? ['none', 'unshare']);
    const exports = (['export-json', 'export-csv', 'export-markdown'] as const)
      .filter((f) => parsed.flags[f] !== undefined)
      .map((f) => ({ flag: f, file: assertWritableTarget(f, parsed.flags[f] as string, io.cwd) }));
    const runs = (parsed.flags.runs as number | undefined) ?? 10;
    const warmup = (parsed.flags.warmup as number | undefined) ?? 1;
    const sandbox: SandboxOptions = { cwd: io.cwd, network: parsed.flags.network === true };
    if (parsed.flags.memory !== undefined) sandbox.memoryBytes = Math.round((parsed.flags.memory as number) * 1024 * 1024);
    if (parsed.flags.cpus !== undefined) sandbox.cpus = parsed.flags.cpus as number;

    const recording = openRecording(historyPathFor(parsed.flags.db, io), parsed.flags.threshold as number | undefined, io);
    const { monitor } = recording;
    const bar = progressBar(io, runs * backends.length);
    try {
      // The writer thread starts now rather than during the second timed run.
      await recording.open();
      const result = await compareBackends({
        backends,
        command,
        runs,
        warmup,
        sandbox,
        monitor,
        ...(parsed.flags.timeout === undefined ? {} : { timeoutMs: parsed.flags.timeout as number }),
        onRun: (backend) => bar.tick(backend),
      });
      bar.end();
      // A failure message ends with the command's stderr: escaped before it reaches the terminal.
      io.stdout.write(comparisonText(printableDeep(result), colours(io.stdout, io.env)));
      for (const { flag, file } of exports) {
        const text =
          flag === 'export-json'
            ? comparisonToJson(result)
            : flag === 'export-csv'
              ? comparisonToCsv(result)
              : comparisonToMarkdown(result);
        fs.writeFileSync(file, text);
      }
      return result.backends.some((b) => b.summary.count === 0) ? 1 : 0;
    } finally {
      bar.end();
      await recording.finish();
    }
  },
};
