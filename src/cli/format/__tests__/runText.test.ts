import type { SandboxRun } from '../../../runners/runInSandbox';
import { colours } from '../../terminal';
import { runLine } from '../runText';

const plain = colours({ isTTY: false } as never, {});

function run(
  over: { setup?: SandboxRun['setup']; outcome?: 'success' | 'error'; error?: string | null; alertFired?: boolean } = {},
): SandboxRun {
  const outcome = over.outcome ?? 'success';
  return {
    record: { sandboxId: 'unshare-1', startTime: 0, durationMs: 55.02, outcome, alertFired: over.alertFired ?? false },
    result: {
      backend: 'unshare',
      outcome,
      exitCode: outcome === 'success' ? 0 : 2,
      signal: null,
      stdout: '',
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      phases: { setup: 0.07, spawn: 28.18, command: 14.16, exit: 11.31, runner: 1.28 },
      cpuMs: null,
      peakMemoryBytes: null,
      error: over.error ?? null,
    },
    setup: over.setup === undefined ? { prepareMs: 1120, teardownMs: 6 } : over.setup,
    workload: { key: 'cmd-0123456789ab', label: 'true' },
    commandMs: 14.16,
    overheadMs: 40.86,
  };
}

// Issue 22: the line said "(setup 0.07 ms, …), setup 1.126 s not counted": two figures, one name.
test('one "setup" per line: the setup phase, and the backend prepare + teardown under their own names', () => {
  const line = runLine(run(), 5000, plain);
  expect(line).toBe(
    'sandbox-perf: unshare-1 success in 55.02 ms (setup 0.07 ms, spawn 28.18 ms, command 14.16 ms, exit 11.31 ms, runner 1.28 ms), ' +
      'prepare + teardown 1.126 s not counted',
  );
  expect(line.match(/\bsetup\b/g)).toHaveLength(1);
});

test('no prepare + teardown part for a backend the caller prepared (or under 1 ms); the alert and the error follow', () => {
  expect(runLine(run({ setup: null }), 5000, plain)).not.toMatch(/prepare/);
  expect(runLine(run({ setup: { prepareMs: 0.4, teardownMs: 0.2 } }), 5000, plain)).not.toMatch(/prepare/);
  const failed = runLine(run({ outcome: 'error', error: 'exited with code 2', alertFired: true }), 50, plain);
  expect(failed).toMatch(
    /^sandbox-perf: unshare-1 error in 55\.02 ms \(.*\), prepare \+ teardown 1\.126 s not counted — ALERT: over the 50 ms threshold — exited with code 2$/,
  );
});
