import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from '../src/stats/descriptive';
import { hasHyperfine, hyperfineMedianMs } from './harness';
import { createBackend } from '../src/runners/createBackend';
import { sandboxEnv } from '../src/runners/environment';
import { launcherStatus } from '../src/runners/host/launcher';
import { runInSandbox } from '../src/runners/runInSandbox';
import { SandboxPerfMonitor } from '../src/sandbox/SandboxPerfMonitor';

/**
 * The command timer (the C launcher next to the command, `commandMs`) against `hyperfine -N`, for
 * `true` and `node -e 0`: alternating rounds of 20 runs (after one warm-up) in one run, the same
 * minimal environment for both. Also the tool's own cost per run, as hyperfine states its own:
 * the median `overheadMs` of the `none` backend (what sandbox-perf adds around the command).
 */
export interface TimerBenchFigures {
  rows: { command: string; oursMs: number; hyperfineMs: number | null; ownCostMs: number }[];
  timer: string;
  markdown: string;
}

const RUNS = 20;
const ROUNDS = 3;
const COMMANDS: readonly (readonly string[])[] = [['true'], ['node', '-e', '0']];

export async function timerBench(): Promise<TimerBenchFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-bench-timer-'));
  const env = sandboxEnv(dir);
  const withHyperfine = hasHyperfine();
  const monitor = new SandboxPerfMonitor({ sink: false });
  const backend = createBackend('none', { cwd: dir });
  await backend.prepare();
  const rows: TimerBenchFigures['rows'] = [];
  const lines: string[] = [];
  try {
    for (const command of COMMANDS) {
      const ours: number[] = [];
      const own: number[] = [];
      const theirs: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const commandMs: number[] = [];
        for (let i = 0; i <= RUNS; i++) {
          const run = await runInSandbox(backend, command, { monitor });
          if (i === 0 || run.commandMs === null || run.overheadMs === null) continue;
          commandMs.push(run.commandMs);
          own.push(run.overheadMs);
        }
        ours.push(commandMs.length > 0 ? median(commandMs) : Number.NaN);
        if (withHyperfine) {
          theirs.push(hyperfineMedianMs(command, { runs: RUNS, warmup: 1, dir, env }));
        }
        lines.push(`| \`${command.join(' ')}\` | ${round + 1} | ${ours[round]?.toFixed(3)} | ${theirs[round]?.toFixed(3) ?? 'n/a'} |`);
      }
      rows.push({
        command: command.join(' '),
        oursMs: median(ours),
        hyperfineMs: withHyperfine ? median(theirs) : null,
        ownCostMs: own.length > 0 ? median(own) : Number.NaN,
      });
    }
  } finally {
    await backend.teardown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const timer = launcherStatus().path === null ? 'node (no launcher built: commandMs is null)' : 'launcher (C, next to the command)';
  const markdown = [
    `The command timer (\`commandMs\`, timer: ${timer}) against \`hyperfine -N --runs ${RUNS}\`, ${ROUNDS} alternating rounds of ${RUNS} runs,`,
    "the same minimal environment for both. sandbox-perf's own cost per run is the median `overheadMs` of the `none` backend:",
    "what it adds around the command (Node's fork, pipes, the launcher's start), reported apart and never inside `commandMs`.",
    '',
    '| command | round | sandbox-perf `commandMs` median [ms] | hyperfine median [ms] |',
    '|---|---:|---:|---:|',
    ...lines,
    '',
    '| command | sandbox-perf median [ms] | hyperfine median [ms] | difference | own cost per run (median `overheadMs`) [ms] |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| \`${r.command}\` | **${r.oursMs.toFixed(3)}** | **${r.hyperfineMs === null ? 'hyperfine not installed (apt-get install hyperfine)' : r.hyperfineMs.toFixed(3)}** | ` +
        `${r.hyperfineMs === null ? 'n/a' : `${(r.oursMs - r.hyperfineMs).toFixed(3)} ms (${(((r.oursMs - r.hyperfineMs) / r.hyperfineMs) * 100).toFixed(1)} %)`} | ${r.ownCostMs.toFixed(3)} |`,
    ),
  ].join('\n');
  return { rows, timer, markdown };
}

if (require.main === module) {
  void timerBench().then((f) => process.stdout.write(`${f.markdown}\n`));
}
