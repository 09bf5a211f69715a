import os from 'node:os';
import { describeWhen } from '../../../test/support/e2e';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { createBackend } from '../createBackend';
import { launcherStatus } from '../launcher';
import { runInSandbox, type SandboxRun } from '../runInSandbox';
import type { BackendName, SandboxBackend } from '../types';
import { dockerImage, dockerMissing, gvisorMissing, INSTALL_DOCKER, toolMissing } from './support';

/**
 * Known durations: `sleep 0.2` must read commandMs ≈ 200 and overheadMs = the phases around the
 * command. The machine is shared, so a backend gets up to five runs to show one within the
 * tolerances; every run must still be consistent (command ≥ 200 ms, overhead ≥ 0, command ≤ duration).
 */
const ATTEMPTS = 5;
// On a machine loaded past twice its CPUs (shared CI runners), waking from a 200 ms sleep alone
// can take tens of milliseconds: the bound widens and the test says so. The decomposition checks
// (overhead = phases, command ≤ duration) do not depend on load.
const load = os.loadavg()[0] as number;
const overloaded = load > 2 * os.cpus().length;
const COMMAND_TOLERANCE_MS = overloaded ? 40 : 2;
const PHASES_TOLERANCE_MS = overloaded ? 2 : 0.5;
if (overloaded)
  process.stderr.write(
    `decomposition: load ${load.toFixed(1)} on ${os.cpus().length} CPUs, commandMs and phases bounds widened to ${COMMAND_TOLERANCE_MS} and ${PHASES_TOLERANCE_MS} ms\n`,
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
];

/** The phases overheadMs is made of: all but the command's own. */
function aroundCommand(run: SandboxRun): number {
  return Object.entries(run.result.phases).reduce((sum, [phase, ms]) => (phase === 'command' ? sum : sum + ms), 0);
}

for (const { name, missing, install, optional } of BACKENDS) {
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

      test('sleep 0.2: commandMs within 2 ms of 200, overheadMs >= 0 and equal to the phases around the command within 0.5 ms', async () => {
        const monitor = new SandboxPerfMonitor({ sink: false });
        const runs: SandboxRun[] = [];
        for (let i = 0; i < ATTEMPTS; i++) {
          const run = await runInSandbox(backend, ['sleep', '0.2'], { monitor });
          runs.push(run);
          expect(run.result.outcome).toBe('success');
          expect(run.commandMs).not.toBeNull();
          const commandMs = run.commandMs as number;
          expect(commandMs).toBeGreaterThanOrEqual(200);
          expect(run.overheadMs).toBeCloseTo(run.record.durationMs - commandMs, 9);
          expect(run.overheadMs).toBeGreaterThanOrEqual(0);
          expect(run.result.phases.command).toBe(commandMs);
          const commandOk = commandMs - 200 <= COMMAND_TOLERANCE_MS || name === 'gvisor';
          if (commandOk && Math.abs((run.overheadMs as number) - aroundCommand(run)) <= PHASES_TOLERANCE_MS) break;
        }
        const shown = JSON.stringify(runs.map((r) => ({ commandMs: r.commandMs, overheadMs: r.overheadMs, phases: r.result.phases })));
        const bestCommand = Math.min(...runs.map((r) => (r.commandMs as number) - 200));
        const bestPhases = Math.min(...runs.map((r) => Math.abs((r.overheadMs as number) - aroundCommand(r))));
        // gVisor runs the command's own start-up (exec, dynamic loading) on its user-space kernel:
        // that slowdown is inside commandMs, which the canary tracks (docs/runners.md).
        if (name !== 'gvisor' && bestCommand > COMMAND_TOLERANCE_MS)
          throw new Error(`commandMs - 200 was ${bestCommand} ms at best: ${shown}`);
        if (bestPhases > PHASES_TOLERANCE_MS) throw new Error(`overheadMs - sum of phases was ${bestPhases} ms at best: ${shown}`);
      }, 120_000);
    },
    { optional },
  );
}
