import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from '../src/stats/descriptive';
import { hasHyperfine, hyperfineMedianMs } from './harness';
import { createBackend } from '../src/runners/createBackend';
import { detectBackends } from '../src/runners/detect';
import { sandboxEnv } from '../src/runners/environment';
import { runInSandbox } from '../src/runners/runInSandbox';
import { SandboxPerfMonitor } from '../src/sandbox/SandboxPerfMonitor';
import type { BackendName } from '../src/runners/types';

/**
 * A known duration on every backend: `sleep 0.2`'s `commandMs` through each backend present, against
 * `hyperfine -N 'sleep 0.2'` on the host in the same run (alternating rounds). `sleep 0.2` does not
 * live 200 ms: its exec, dynamic loading and exit add to it, which hyperfine sees too, so the target
 * is the difference between the two medians, with the distance from 200 ms shown beside it.
 */
export interface KnownDurationFigures {
  rows: { backend: BackendName; commandMs: number; hyperfineMs: number | null; runs: number }[];
  markdown: string;
}

const BACKENDS: readonly BackendName[] = ['none', 'unshare', 'bubblewrap', 'gvisor', 'docker', 'docker-warm'];
const ROUNDS = 3;
const RUNS = 3;
const COMMAND = ['sleep', '0.2'];

export async function knownDurationBench(): Promise<KnownDurationFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-bench-known-'));
  const env = sandboxEnv(dir);
  const withHyperfine = hasHyperfine();
  const monitor = new SandboxPerfMonitor({ sink: false });
  const present = (await detectBackends({ cwd: dir }, BACKENDS)).filter((b) => b.available && b.timer === 'launcher');
  const rows: KnownDurationFigures['rows'] = [];
  try {
    for (const { backend: name } of present) {
      const backend = createBackend(name, { cwd: dir });
      await backend.prepare();
      const ours: number[] = [];
      const theirs: number[] = [];
      try {
        for (let round = 0; round < ROUNDS; round++) {
          if (withHyperfine) theirs.push(hyperfineMedianMs(COMMAND, { runs: RUNS, dir, env }));
          for (let i = 0; i < RUNS; i++) {
            const run = await runInSandbox(backend, COMMAND, { monitor });
            if (run.commandMs !== null) ours.push(run.commandMs);
          }
        }
      } finally {
        await backend.teardown();
      }
      rows.push({ backend: name, commandMs: median(ours), hyperfineMs: withHyperfine ? median(theirs) : null, runs: ours.length });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const markdown = [
    `\`sleep 0.2\` through each backend present (launcher timer), ${ROUNDS} rounds of ${RUNS} runs, each round after`,
    `\`hyperfine -N --runs ${RUNS} 'sleep 0.2'\` on the host (medians). gVisor's \`commandMs\` includes the command's`,
    'own start-up on its user-space kernel (the in-command slowdown the canary tracks).',
    '',
    '| backend | runs | `commandMs` median [ms] | hyperfine median [ms] | difference [ms] | − 200 ms |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.backend} | ${r.runs} | ${r.commandMs.toFixed(2)} | ${r.hyperfineMs === null ? 'n/a (apt-get install hyperfine)' : r.hyperfineMs.toFixed(2)} | ` +
        `${r.hyperfineMs === null ? 'n/a' : (r.commandMs - r.hyperfineMs).toFixed(2)} | ${(r.commandMs - 200).toFixed(2)} |`,
    ),
  ].join('\n');
  return { rows, markdown };
}

if (require.main === module) {
  void knownDurationBench().then((f) => process.stdout.write(`${f.markdown}\n`));
}
