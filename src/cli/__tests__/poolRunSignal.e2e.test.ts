import fs from 'node:fs';
import path from 'node:path';
import { describeWhen } from '../../../test/support/e2e';
import { INSTALL_RUNC, runcMissing, uniqueSleep } from '../../../test/support/runners';
import { sandboxDir } from '../../../test/support/tempDir';
import { describeBuilt } from './support/cli';
import { signalCli, sleeping } from './support/leftovers';

/*
 * A hostile trial of 2026-12-07: SIGINT or SIGTERM of `run` on runc-pool during a run exited 127
 * ("the agent exited before reporting": the signal's cleanup had closed the pool, and the run was
 * reported as one whose agent died) instead of dying by the signal, as the other backends do.
 */
describeBuilt('a signal during a pooled run', () => {
  describeWhen('on runc-pool', runcMissing(), INSTALL_RUNC, () => {
    const dir = sandboxDir('pool-signal');
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp, { mode: 0o777 });
    const work = path.join(dir, 'work');
    fs.mkdirSync(work, { mode: 0o777 });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test.each(['SIGINT', 'SIGTERM'] as const)(
      '%s: run dies by it, not with "could not start" (127)',
      async (signal) => {
        const sleep = uniqueSleep();
        const ended = await signalCli(['run', '--sandbox', 'runc-pool', '--db', path.join(dir, 'h.db'), '--', 'sleep', sleep], {
          cwd: work,
          tmp,
          signal,
          until: () => sleeping(sleep).length > 0,
        });
        expect({ code: ended.code, signal: ended.signal }).toEqual({ code: null, signal });
      },
      120_000,
    );
  });
});
