import fs from 'node:fs';
import { compareBackends } from '../compareBackends';
import { runCalibration } from '../../calibrate/runCalibration';
import { CALIB_FILE } from '../../calibrate/calibWorkdir';
import type { BackendName } from '../../runners/types';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { describeWhen } from '../../../test/support/e2e';
import { toolMissing } from '../../../test/support/runners';
import { tempDir } from '../../../test/support/tempDir';

/*
 * Regression (issue 26, docker's npm ci): compare's rounds, and calibrate's runs, went A B C A B C,
 * so each backend always ran right after the same one and paid for what that one left behind. In
 * predict --check's none, bubblewrap, gvisor, docker, docker always followed gvisor (whose npm ci
 * writes nothing to the host disk) and none followed docker (after the hook had deleted docker's
 * 1 900 new files): on a quiet machine docker's npm ci read 98 ms [38 … 157] faster than none's
 * inside the command. Now each backend runs right after each other one equally often. Real runs.
 */
const BACKENDS: BackendName[] = ['none', 'unshare', 'bubblewrap'];
const missing = toolMissing('unshare') || toolMissing('bwrap');

/** How often each backend ran right after each other one, within a round, from the runs in the order they ran. */
function followers(sequence: readonly string[], perRound: number): Map<string, number> {
  const after = new Map<string, number>();
  for (let i = 0; i < sequence.length; i++) {
    if (i % perRound === 0) continue;
    const key = `${sequence[i - 1] ?? ''}>${sequence[i] ?? ''}`;
    after.set(key, (after.get(key) ?? 0) + 1);
  }
  return after;
}

let dir: string;
beforeAll(() => {
  dir = tempDir('balanced-rounds');
  // The sandbox user (65534) must be able to enter it.
  fs.chmodSync(dir, 0o755);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeWhen('the order of the backends within a round (real runs)', missing, 'apt-get install util-linux bubblewrap', () => {
  test("compare: over 6 rounds of 3 backends each runs right after each other one twice, and the rounds' pairs stay whole", async () => {
    const sequence: string[] = [];
    const result = await compareBackends({
      backends: BACKENDS,
      command: ['true'],
      runs: 6,
      warmup: 0,
      sandbox: { cwd: dir },
      monitor: new SandboxPerfMonitor(),
      resolve: false,
      onRun: (backend) => sequence.push(backend),
    });
    const after = followers(sequence, BACKENDS.length);
    // Before: none>unshare and unshare>bubblewrap 6 times each, the other four pairs never.
    expect(after.size).toBe(6);
    expect([...after.values()]).toEqual([2, 2, 2, 2, 2, 2]);
    for (const b of result.backends) expect(b.roundsMs).toHaveLength(6);
    expect(result.backends.find((b) => b.backend === 'bubblewrap')?.isolationMs).not.toBeNull();
  }, 60_000);

  (fs.existsSync(CALIB_FILE) ? test : test.skip)(
    'calibrate: its runs go in the same balanced order',
    async () => {
      const sequence: string[] = [];
      // 3 rounds of 4 runs per backend: 12 jobs, two cycles of the design for 3 backends.
      const run = await runCalibration({ backends: BACKENDS, rounds: 3, scale: 0.01, onRun: (backend) => sequence.push(backend) });
      expect(sequence).toHaveLength(36);
      const after = followers(sequence, BACKENDS.length);
      expect(after.size).toBe(6);
      expect([...after.values()]).toEqual([4, 4, 4, 4, 4, 4]);
      expect(run.samples.some((s) => s.backend === 'bubblewrap' && s.class === 'start')).toBe(true);
      expect(run.samples.filter((s) => s.backend === 'bubblewrap' && s.class === 'leave')).toHaveLength(3);
    },
    120_000,
  );
});
