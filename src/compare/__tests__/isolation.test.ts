import fs from 'node:fs';
import { compareBackends } from '../compareBackends';
import type { BackendRounds } from '../summarizeBackends';
import { comparisonToJson } from '../../export/comparison';
import { comparisonVerdicts } from '../../cli/format/comparisonText';
import { colours } from '../../cli/terminal';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import { fixtureComparison, fixtureRounds } from '../../../test/support/comparisonFixture';
import { describeWhen } from '../../../test/support/e2e';
import { sandboxDir } from '../../../test/support/tempDir';
import { toolMissing } from '../../../test/support/runners';
import type { IsolationCost } from '../../stats/isolationCost';

const plain = colours({ isTTY: false } as never, {});

/** Rounds with the command's own time: `fixed` around it, the command `commandMs` long. */
function timed(backend: BackendRounds['backend'], commandMs: number[], fixed: number[]): BackendRounds {
  return {
    ...fixtureRounds(
      backend,
      commandMs.map((c, i) => c + (fixed[i] as number)),
    ),
    commandMs,
  };
}

/** The fields, their identity and the interval around the total (issue 26's "done when"). */
function expectConsistent(cost: IsolationCost | null | undefined): void {
  expect(cost).not.toBeNull();
  for (const field of ['fixed', 'inCommand', 'total', 'low', 'high'] as const) expect(typeof cost?.[field]).toBe('number');
  if (!cost) return;
  expect(Math.abs(cost.total - (cost.fixed + cost.inCommand))).toBeLessThan(1e-9);
  expect(cost.low).toBeLessThanOrEqual(cost.total);
  expect(cost.total).toBeLessThanOrEqual(cost.high);
}

// gVisor-like (issue 26: npm start's command 1.965 s on gvisor against 234 ms on none, its overheadMs 432 ms below docker's):
// little around the command, much inside it. Docker: much around it, nothing inside.
const GVISOR_LIKE = fixtureComparison([
  timed('none', [234, 236, 231, 238, 233, 235], [6, 7, 6, 8, 6, 7]),
  timed('docker', [240, 244, 238, 241, 243, 239], [452, 470, 448, 461, 455, 466]),
  timed('gvisor', [1965, 1990, 1942, 1971, 1958, 1980], [41, 44, 39, 40, 43, 42]),
]);

describe('isolationMs in a comparison', () => {
  test('every backend has fixed, inCommand and total with the interval of the total, consistent', () => {
    for (const b of GVISOR_LIKE.backends) expectConsistent(b.isolationMs);
    const none = GVISOR_LIKE.backends.find((b) => b.backend === 'none');
    expect(none?.isolationMs?.inCommand).toBe(0);
  });

  test('compare --json carries isolationMs: { fixed, inCommand, total, low, high } per backend', () => {
    const json = JSON.parse(comparisonToJson(GVISOR_LIKE)) as { backends: { backend: string; isolationMs: IsolationCost }[] };
    for (const b of json.backends) {
      expectConsistent(b.isolationMs);
      expect(b.isolationMs.method).toBe('paired');
      expect(b.isolationMs.runs).toBe(6);
    }
  });

  test('the gVisor-like backend, cheap around the command, ranks as the most costly in the text', () => {
    const docker = GVISOR_LIKE.backends.find((b) => b.backend === 'docker')?.isolationMs;
    const gvisor = GVISOR_LIKE.backends.find((b) => b.backend === 'gvisor')?.isolationMs;
    // The fixture is what issue 26 describes: the fixed part alone ranks gvisor as cheaper than docker.
    expect(gvisor?.fixed).toBeLessThan(docker?.fixed ?? 0);
    const text = comparisonVerdicts(GVISOR_LIKE, plain);
    const block = text.slice(text.indexOf('Isolation cost'));
    const order = block
      .split('\n')
      .slice(1)
      .map((line) => /^ {2}(\S+)/.exec(line)?.[1])
      .filter(Boolean);
    expect(order).toEqual(['gvisor', 'docker', 'none']);
    expect(block).toMatch(/gvisor +total \+1\.775 s \[\+1\.7\d\d s … \+1\.7\d\d s\] = fixed \+41\.50 ms \+ in command \+1\.733 s/);
  });

  test('is null without none among the backends (nothing to measure the command against), and without command times', () => {
    const result = fixtureComparison([timed('docker', [10, 11, 12], [5, 5, 6]), timed('gvisor', [30, 31, 33], [1, 2, 1])]);
    expect(result.backends.map((b) => b.isolationMs)).toEqual([null, null]);
    expect(comparisonVerdicts(result, plain)).not.toMatch(/Isolation cost/);
    const untimed = fixtureComparison([fixtureRounds('none', [10, 11, 12]), fixtureRounds('docker', [20, 21, 22])]);
    expect(untimed.backends.map((b) => b.isolationMs)).toEqual([null, null]);
  });
});

const hostMissing = toolMissing('unshare') || toolMissing('bwrap');
describeWhen('isolationMs from a real compare', hostMissing, 'bash .ci/docker-up.sh (installs bubblewrap)', () => {
  jest.setTimeout(120_000);
  test('none, unshare and bubblewrap: the fields are present and consistent, none pays nothing inside the command', async () => {
    const cwd = sandboxDir('isolation-compare');
    try {
      const monitor = new SandboxPerfMonitor({ sink: false });
      const result = await compareBackends({
        backends: ['none', 'unshare', 'bubblewrap'],
        command: ['sh', '-c', 'i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done'],
        runs: 4,
        warmup: 1,
        monitor,
        sandbox: { cwd },
      });
      for (const b of result.backends) {
        expect(b.failures).toBe(0);
        expectConsistent(b.isolationMs);
        expect(b.isolationMs?.runs).toBe(4);
      }
      expect(result.backends.find((b) => b.backend === 'none')?.isolationMs?.inCommand).toBe(0);
      expect(comparisonVerdicts(result, plain)).toMatch(/Isolation cost[^\n]*\n( {2}(none|unshare|bubblewrap) +total [^\n]+\n?){3}/);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});
