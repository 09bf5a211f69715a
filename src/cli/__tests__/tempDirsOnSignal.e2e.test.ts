import fs from 'node:fs';
import path from 'node:path';
import { CALIB_FILE } from '../../calibrate/calibWorkdir';
import { describeWhen } from '../../../test/support/e2e';
import { tempDir } from '../../../test/support/tempDir';
import { uniqueSleep } from '../../../test/support/runners';
import { probeFreezer } from '../../runners/host/containmentGroup';
import { cliBuilt } from './support/cli';
import { entriesOf, signalCli, sleeping, storeFixtureCalibration, survivorsOf } from './support/leftovers';

/**
 * SIGINT or SIGTERM of predict during its profiling run, or of calibrate, removes the temporary
 * directory it made (each run gets a TMPDIR of its own to look in). Before: the process died of the
 * re-raised signal without its `finally`, and left /tmp/sandbox-perf-profile-* and
 * /tmp/sandbox-perf-calibrate-* (6 MB, 2 076 files) each time.
 */
const freezer = probeFreezer();

describeWhen(
  'a signal removes the temporary directories of predict and calibrate',
  (!cliBuilt && 'dist/ is not built') ||
    (!fs.existsSync(CALIB_FILE) && `${CALIB_FILE} is not built`) ||
    // Without a containment group, a setsid'ed process outlives the profiling run.
    (freezer.root === null && freezer.reason),
  'npm run build; node native/build.js; run as root with the cgroup v1 freezer mounted',
  () => {
    const dir = tempDir('temp-dirs-on-signal');
    const db = path.join(dir, 'history.db');
    storeFixtureCalibration(db);
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const freshTmp = (name: string): string => {
      const tmp = path.join(dir, name);
      fs.mkdirSync(tmp);
      return tmp;
    };
    const ours = (tmp: string, prefix: string): string[] => entriesOf(tmp).filter((name) => name.startsWith(prefix));

    test.each(['SIGINT', 'SIGTERM'] as const)(
      "%s during predict's profiling run removes its directory and kills what the command started",
      async (signal) => {
        const tmp = freshTmp(`predict-${signal}`);
        const [inGroup, setsid] = [uniqueSleep(), uniqueSleep()];
        const script = `setsid sleep ${setsid} >/dev/null 2>&1 & sleep ${inGroup}`;
        const ended = await signalCli(['predict', '--db', db, '--sandbox', 'bubblewrap', '--', 'sh', '-c', script], {
          cwd: dir,
          tmp,
          signal,
          until: () => sleeping(inGroup).length > 0 && sleeping(setsid).length > 0,
        });
        expect(ended.signal).toBe(signal);
        expect(ours(tmp, 'sandbox-perf-profile-')).toEqual([]);
        expect(await survivorsOf(`sleep ${inGroup}`)).toEqual([]);
        expect(await survivorsOf(`sleep ${setsid}`)).toEqual([]);
        // Killed by the signal's cleanup: not reported as a run that left no counts.
        expect(ended.stderr).not.toMatch(/left no counts/);
      },
      90_000,
    );

    test.each(['SIGINT', 'SIGTERM'] as const)(
      '%s of calibrate removes its working directory',
      async (signal) => {
        const tmp = freshTmp(`calibrate-${signal}`);
        const ended = await signalCli(
          ['calibrate', '--db', path.join(dir, `calibrate-${signal}.db`), '--sandbox', 'none', '--rounds', '100'],
          {
            cwd: dir,
            tmp,
            signal,
            // Made (and filled, synchronously, before the signal's handler can run); 100 rounds take a minute.
            until: () => ours(tmp, 'sandbox-perf-calibrate-').length > 0,
          },
        );
        expect(ended.signal).toBe(signal);
        expect(ours(tmp, 'sandbox-perf-calibrate-')).toEqual([]);
      },
      90_000,
    );
  },
);
