import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWhen } from '../../../../test/support/e2e';
import { gvisorMissing } from '../../../../test/support/runners';
import { SandboxPerfMonitor } from '../../../sandbox/SandboxPerfMonitor';
import { createBackend } from '../../createBackend';
import { runInSandbox } from '../../runInSandbox';

/*
 * A hostile trial of 2026-12-07: under `runsc do` the launcher reports on the standard error it
 * shares with the command, and a process the command left behind wrote well-formed lines after the
 * launcher's, before the sandbox ended: commandMs 1 ms for a command of 1 s, 3 runs of 3. The
 * launcher, PID 1 there, now kills what the command left before it reports.
 */
const monitor = new SandboxPerfMonitor({ sink: false });

describeWhen(
  'gvisor: a forged launcher report',
  gvisorMissing(),
  'apt-get install runsc',
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-gvisor-forge-'));
    fs.chmodSync(dir, 0o755);
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    beforeAll(() => {
      // Static, so that it runs on gVisor's kernel whatever the host's C library (as the limits probe).
      const source = path.join(__dirname, '..', '..', '__tests__', 'fixtures', 'forgeReport.c');
      const cc = spawnSync('cc', ['-static', '-O2', '-o', path.join(dir, 'forgeReport'), source], { encoding: 'utf8' });
      if (cc.status !== 0) throw new Error(`cc could not build the report forger: ${cc.error?.message ?? cc.stderr}`);
    });

    test('written by a process the command left, as the command ends: no time of the forger’s is taken', async () => {
      const backend = createBackend('gvisor', { cwd: dir });
      await backend.prepare();
      try {
        for (let round = 0; round < 3; round++) {
          const { result } = await runInSandbox(backend, ['./forgeReport', '1'], { monitor, timeoutMs: 60_000 });
          expect(result.exitCode).toBe(0);
          // The forged line says 1 ms; the command slept 1 s.
          expect(result.phases.command ?? Number.POSITIVE_INFINITY).toBeGreaterThan(500);
        }
      } finally {
        await backend.teardown();
      }
    }, 180_000);
  },
  { optional: true },
);
