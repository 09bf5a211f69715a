import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { describeWhen } from '../../../test/support/e2e';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { createBackend } from '../createBackend';
import { LAUNCHER_FILE, launcherStatus, parseLauncherReport } from '../host/launcher';
import { runInSandbox, type SandboxRun } from '../runInSandbox';
import type { BackendName, SandboxBackend } from '../types';
import {
  dockerImage,
  dockerMissing,
  gvisorMissing,
  INSTALL_DOCKER,
  INSTALL_RUNSC,
  runscRuntimeMissing,
  toolMissing,
} from '../../../test/support/runners';

/**
 * Known durations: `sleep 0.2` must read commandMs ≈ what the process really lives and overheadMs =
 * the phases around the command. What `sleep 0.2` really lives is not 200 ms: its exec, dynamic
 * loading and exit add 0.5–5 ms depending on the machine (`hyperfine -N 'sleep 0.2'` read 205.5 ms
 * on the 2-CPU VM where 200 ± 2 failed). So each round first times `sleep 0.2` with the bare
 * launcher outside any sandbox (the reference), then through the backend: commandMs must be within
 * the tolerance of the reference, and never below 200. The machine is shared, so a backend gets up
 * to five rounds to show one within the tolerances; every run must still be consistent (command ≥
 * 200 ms, overhead ≥ 0, command ≤ duration).
 */
const ATTEMPTS = 5;
// A correctness bound, not the precision target: `sleep 0.2` itself wakes up late by milliseconds to
// tens of milliseconds on a loaded machine (jest runs suites side by side), so a unit test cannot
// hold 2 ms (STYLE: performance targets live in `npm run bench`; the timer bench measures each
// backend's `sleep 0.2` against hyperfine, medians in the same run). 10 ms still fails a timer that
// times the sandbox's set-up or the runner's fork (16–300 ms here). Past twice its CPUs, the load
// widens the bounds and the test says so.
const load = os.loadavg()[0] as number;
const overloaded = load > 2 * os.cpus().length;
const COMMAND_TOLERANCE_MS = overloaded ? 20 : 10;
// The phases tile the record by construction (runInSandbox's `runner` phase holds the runner's own
// bookkeeping between them): what is left is the microseconds monitor.start/stop take, so the
// issue's 0.5 ms holds at any load.
const PHASES_TOLERANCE_MS = 0.5;
if (overloaded)
  process.stderr.write(
    `decomposition: load ${load.toFixed(1)} on ${os.cpus().length} CPUs, commandMs bound widened to ${COMMAND_TOLERANCE_MS} ms\n`,
  );

const launcherMissing = launcherStatus().path === null && 'the C launcher is not built';
const dockerAbsent = dockerMissing();
const BACKENDS: { name: BackendName; missing: string | false; install: string; optional?: boolean }[] = [
  { name: 'none', missing: launcherMissing, install: 'apt-get install gcc && node native/build.js' },
  { name: 'unshare', missing: launcherMissing || toolMissing('unshare'), install: 'apt-get install util-linux gcc' },
  { name: 'bubblewrap', missing: launcherMissing || toolMissing('bwrap'), install: 'apt-get install bubblewrap gcc' },
  { name: 'gvisor', missing: launcherMissing || gvisorMissing(), install: 'apt-get install runsc gcc', optional: true },
  { name: 'docker', missing: dockerAbsent, install: INSTALL_DOCKER },
  { name: 'docker-warm', missing: dockerAbsent, install: INSTALL_DOCKER },
  { name: 'docker-pool', missing: dockerAbsent, install: INSTALL_DOCKER },
  { name: 'gvisor-pool', missing: runscRuntimeMissing(), install: INSTALL_RUNSC, optional: true },
];

/** `sleep 0.2` timed by the bare launcher, no sandbox around it: what the process itself lives. */
function referenceMs(): number {
  const bare = spawnSync(LAUNCHER_FILE, ['3', 'sleep', '0.2'], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    timeout: 10_000,
  });
  const report = parseLauncherReport(String(bare.output[3]));
  if (report === null) throw new Error(`the bare launcher gave no report: ${bare.stderr}`);
  return Number(report.endNs - report.startNs) / 1e6;
}

/** The phases overheadMs is made of: all but the command's own. */
function aroundCommand(run: SandboxRun): number {
  return Object.entries(run.result.phases).reduce((sum, [phase, ms]) => (phase === 'command' ? sum : sum + ms), 0);
}

for (const { name, missing, install, optional } of BACKENDS) {
  // gVisor runs the command's own start-up on its user-space kernel: not comparable with the host's reference.
  const onGvisor = name.startsWith('gvisor');
  describeWhen(
    `${name}: commandMs and overheadMs of a known duration`,
    missing,
    install,
    () => {
      let backend: SandboxBackend;
      beforeAll(async () => {
        backend = createBackend(name, { image: dockerImage });
        await backend.prepare();
      }, 120_000);
      afterAll(() => backend.teardown(), 60_000);

      test('sleep 0.2: commandMs within 10 ms of the bare launcher reading the same (and >= 200), overheadMs >= 0 and equal to the phases around the command within 0.5 ms', async () => {
        const monitor = new SandboxPerfMonitor({ sink: false });
        const runs: SandboxRun[] = [];
        const references: number[] = [];
        for (let i = 0; i < ATTEMPTS; i++) {
          references.push(referenceMs());
          const run = await runInSandbox(backend, ['sleep', '0.2'], { monitor });
          runs.push(run);
          expect(run.result.outcome).toBe('success');
          expect(run.commandMs).not.toBeNull();
          const commandMs = run.commandMs as number;
          expect(commandMs).toBeGreaterThanOrEqual(200);
          expect(run.overheadMs).toBeCloseTo(run.record.durationMs - commandMs, 9);
          expect(run.overheadMs).toBeGreaterThanOrEqual(0);
          expect(run.result.phases.command).toBe(commandMs);
          const commandOk = Math.abs(commandMs - (references[i] as number)) <= COMMAND_TOLERANCE_MS || onGvisor;
          if (commandOk && Math.abs((run.overheadMs as number) - aroundCommand(run)) <= PHASES_TOLERANCE_MS) break;
        }
        const shown = JSON.stringify(
          runs.map((r, i) => ({ referenceMs: references[i], commandMs: r.commandMs, overheadMs: r.overheadMs, phases: r.result.phases })),
        );
        const bestCommand = Math.min(...runs.map((r, i) => Math.abs((r.commandMs as number) - (references[i] as number))));
        const bestPhases = Math.min(...runs.map((r) => Math.abs((r.overheadMs as number) - aroundCommand(r))));
        // gVisor runs the command's own start-up (exec, dynamic loading) on its user-space kernel:
        // that slowdown is inside commandMs, which the canary tracks (docs/runners.md).
        if (!onGvisor && bestCommand > COMMAND_TOLERANCE_MS)
          throw new Error(`|commandMs - reference| was ${bestCommand} ms at best: ${shown}`);
        if (bestPhases > PHASES_TOLERANCE_MS) throw new Error(`overheadMs - sum of phases was ${bestPhases} ms at best: ${shown}`);
      }, 120_000);
    },
    { optional },
  );
}
