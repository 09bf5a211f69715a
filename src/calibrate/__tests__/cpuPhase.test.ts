import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import { CALIB_FILE } from '../calibWorkdir';
import { describeWhen } from '../../../test/support/e2e';

const run = promisify(execFile);

/**
 * Per 10⁶ steps, each phase's lowest over two batch runs: in CI jest's other workers contend too,
 * and one run's 16-step phase could find no quarter step that ran without waiting (1.021-1.028x).
 */
async function costsPerStep(): Promise<number[]> {
  const [first, second] = [await costsOfOneRun(), await costsOfOneRun()];
  return first.map((cost, i) => Math.min(cost, second[i] as number));
}

/** Per 10⁶ steps, from a batch run's `cpu N MILLISECONDS` lines. */
async function costsOfOneRun(): Promise<number[]> {
  const { stdout } = await run(CALIB_FILE, ['batch', 'cpu', '16', 'cpu', '64', 'cpu', '0']);
  const lines = stdout.trim().split('\n');
  expect(lines[2]).toBe('cpu 0 0.000000');
  return lines.slice(0, 2).map((line) => {
    const [, n, ms] = line.split(' ');
    return Number(ms) / Number(n);
  });
}

describeWhen(
  'the cpu phase of a batch run (the real program)',
  !fs.existsSync(CALIB_FILE) && `${CALIB_FILE} is not built`,
  'node native/build.js',
  () => {
    const busy: ChildProcess[] = [];
    afterEach(() => {
      for (const child of busy.splice(0)) child.kill('SIGKILL');
    });

    test('reads the cost of the steps themselves: the same with every core contended, where the wall time doubles', async () => {
      const alone = await costsPerStep();
      // One busy process more than there are cores: the phase waits for a core about half its time.
      for (let i = 0; i <= os.availableParallelism(); i++) busy.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
      const contended = await costsPerStep();
      const all = [...alone, ...contended];
      const low = Math.min(...all);
      // Old reading (the phase's wall time): 1.5-5x apart under this contention. Waiting only adds.
      for (const cost of all) expect(cost / low).toBeLessThan(1.02);
      expect(low).toBeGreaterThan(0);
    });
  },
);
