import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import {
  dockerMissing,
  gvisorMissing,
  INSTALL_DOCKER,
  INSTALL_RUNC,
  INSTALL_RUNSC,
  runcMissing,
  runscRuntimeMissing,
  toolMissing,
} from '../../../test/support/runners';
import type { BackendName } from '../../runners/types';
import { createBackend } from '../../runners/createBackend';
import { CALIB_FILE, CALIB_PROGRAM, emptyLeftDir, makeCalibWorkdir, removeCalibWorkdir } from '../calibWorkdir';
import { CLASS_NAMES } from '../classes';
import { parsePhases } from '../runCalibration';

/*
 * Every workload runs on every backend present, from the working directory alone (the program and
 * its files; nothing in the image), and the backend times it. Once each at a small size: the fit
 * itself is tested on none and bubblewrap (src/cli/__tests__/calibrate.e2e.test.ts), and a whole
 * calibration of every backend is `npm run bench`'s. The backends run at the same time (each its
 * own working directory and backend; jest's test.concurrent): most of each case is waiting on
 * dockerd, runsc and the pools' refills, not on the CPU.
 */
const CASES: { name: BackendName; missing: string | false; install: string; optional?: boolean }[] = [
  { name: 'unshare', missing: toolMissing('unshare'), install: 'apt-get install util-linux' },
  { name: 'gvisor', missing: gvisorMissing(), install: 'apt-get install runsc', optional: true },
  { name: 'docker', missing: dockerMissing(), install: INSTALL_DOCKER },
  { name: 'docker-warm', missing: dockerMissing(), install: INSTALL_DOCKER },
  { name: 'docker-pool', missing: dockerMissing(), install: INSTALL_DOCKER },
  { name: 'runc-pool', missing: runcMissing(), install: INSTALL_RUNC },
  { name: 'gvisor-pool', missing: runscRuntimeMissing(), install: INSTALL_RUNSC, optional: true },
];
const built = !fs.existsSync(CALIB_FILE) && `${CALIB_FILE} is not built`;

for (const { name, missing, install, optional } of CASES) {
  describeWhen(
    `calibrate on ${name} (real runs, small sizes)`,
    missing || built,
    install,
    () => {
      test.concurrent(
        'every workload runs there and is timed by the launcher',
        async () => {
          const dir = makeCalibWorkdir();
          const backend = createBackend(name, { cwd: dir });
          try {
            await backend.prepare();
            const outcomes: string[] = [];
            for (const workload of [...CLASS_NAMES, 'noop']) {
              const result = await backend.run(workload === 'noop' ? [CALIB_PROGRAM, 'noop'] : [CALIB_PROGRAM, workload, '3']);
              outcomes.push(
                `${workload}: ${result.outcome}${typeof result.commandMs === 'number' ? ', timed' : ''}${result.stderr.trim()}`,
              );
            }
            expect(outcomes).toEqual([...CLASS_NAMES, 'noop'].map((w) => `${w}: success, timed`));
            // calibrate's own run: every class as a phase, its times on the program's output.
            const phases = CLASS_NAMES.map((c) => ({ name: c, n: 3 }));
            const batch = await backend.run([CALIB_PROGRAM, 'batch', ...phases.flatMap((p) => [p.name, '3'])]);
            expect(parsePhases(batch.stdout, phases).every((ms) => ms >= 0)).toBe(true);
            // The run that leaves files (left/, emptied by the host before and after it).
            const leave = await backend.run([CALIB_PROGRAM, 'leave', '20']);
            expect(`${leave.outcome}${leave.stderr.trim()}`).toBe('success');
            // gvisor (runsc do) writes into a tmpfs overlay of the host's files, discarded at its end.
            expect(fs.readdirSync(path.join(dir, 'left'))).toHaveLength(name === 'gvisor' ? 0 : 20);
            emptyLeftDir(dir);
            expect(fs.readdirSync(path.join(dir, 'left'))).toEqual([]);
          } finally {
            await backend.teardown();
            removeCalibWorkdir(dir);
          }
        },
        180_000,
      );
    },
    optional === true ? { optional } : {},
  );
}
