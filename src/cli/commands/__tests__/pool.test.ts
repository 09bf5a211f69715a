import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describeWhen } from '../../../../test/support/e2e';
import { dockerMissing, INSTALL_DOCKER } from '../../../../test/support/runners';
import { sizeForRate } from '../../../runners/pool/sizeForRate';
import { POOL_BACKENDS } from '../../../runners/pool/createPool';
import { main } from '../../main';
import type { PoolAdvice } from '../../../runners/pool/advisePoolSize';
import { adviceText } from '../pool';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(argv, { stdout, stderr, env: {}, cwd: process.cwd() });
  return { code, stdout: out, stderr: err };
}

describe('sandbox-perf pool --advise (no engine needed)', () => {
  test('is listed in the top-level help and has its own', async () => {
    expect((await cli(['--help'])).stdout).toMatch(/\n {2}pool +which pool size an arrival rate needs/);
    const help = await cli(['pool', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: sandbox-perf pool --advise --rate RUNS\/S/);
    expect(help.stdout).toContain(`--sandbox BACKEND        ${POOL_BACKENDS.join(', ')}   [default: docker-pool]`);
  });

  test.each([
    [['pool', '--rate', '2'], /'pool' needs --advise/],
    [['pool', '--advise'], /--advise needs --rate RUNS\/S/],
    [['pool', '--advise', '--rate', '0'], /Expected `--rate` to be a decimal number from 0.001 to 1000000, got `"0"`/],
    [
      ['pool', '--advise', '--rate', '2', '--sandbox', 'docker'],
      new RegExp(`Expected \`--sandbox\` to be one of ${POOL_BACKENDS.join(', ')}, got \`"docker"\``),
    ],
    [
      ['pool', '--advise', '--rate', '2', '--target-miss-rate', '2'],
      /Expected `--target-miss-rate` to be a decimal number from 0.0001 to 1, got `"2"`/,
    ],
    [['pool', '--advise', '--rate', '2', 'extra'], /'pool' takes no command or arguments, got "extra"/],
  ])('%j is a usage error', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  test('the text gives the measurement, Little’s law, the size and the options that give it', () => {
    const advice: PoolAdvice = {
      backend: 'docker-pool',
      rate: 2,
      targetMissRate: 0.05,
      refills: 5,
      refillMs: 500,
      ...sizeForRate(2, 500, 0.05),
      refillConcurrency: 2,
    };
    const text = adviceText(advice);
    expect(text).toContain('docker-pool: a refill takes 500 ms on this machine (median of 5, measured one at a time)');
    expect(text).toContain("At 2 runs/s, 1.00 sandboxes are being refilled at any time (Little's law: rate × refill time).");
    expect(text).toContain('Size 4 keeps the miss rate under 5% (1.9% with Poisson arrivals)');
    expect(text).toContain("createPool('docker-pool', { size: 4, refillConcurrency: 2 })");
    expect(text).toContain("createPool('docker-pool', { size: { min: 2, max: 4, targetMissRate: 0.05 } })");
  });
});

describeWhen('sandbox-perf pool --advise on a real docker-pool', dockerMissing(), INSTALL_DOCKER, () => {
  test('measures refills on this machine and sizes from them; leaves no container', async () => {
    // This process's pool containers: the CLI runs in it, so they carry its pid, as do those of a
    // test file this jest worker ran before (each checks its own): the CLI's are the ones added.
    const ours = () =>
      spawnSync(
        'docker',
        ['ps', '-a', '-q', '--filter', `label=sandbox-perf.owner-pid=${process.pid}`, '--filter', 'label=sandbox-perf.pool'],
        {
          encoding: 'utf8',
        },
      )
        .stdout.split('\n')
        .filter((id) => id !== '');
    const before = new Set(ours());
    const r = await cli(['pool', '--advise', '--rate', '3', '--refills', '3', '--target-miss-rate', '0.01', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const advice = JSON.parse(r.stdout) as PoolAdvice;
    expect(advice).toMatchObject({ backend: 'docker-pool', rate: 3, targetMissRate: 0.01, refills: 3 });
    // A Docker create and start, and the agent's boot: tens of milliseconds at the very least.
    expect(advice.refillMs).toBeGreaterThan(10);
    expect(advice.inRefill).toBeCloseTo((3 * advice.refillMs) / 1000, 9);
    expect(advice).toMatchObject(sizeForRate(3, advice.refillMs, 0.01));
    expect(advice.refillConcurrency).toBe(Math.max(2, Math.ceil(advice.inRefill)));
    expect(ours().filter((id) => !before.has(id))).toEqual([]);
  }, 300_000);
});
