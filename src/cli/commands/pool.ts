import { advisePoolSize, type PoolAdvice } from '../../runners/pool/advisePoolSize';
import { POOL_BACKENDS } from '../../runners/pool/createPool';
import type { PoolBackendName } from '../../runners/pool/SandboxPool';
import { parseArgs } from '../args';
import { defineCommand, UsageError, type Command } from '../command';

const FLAGS = {
  advise: { type: 'boolean' },
  rate: { type: 'number', min: 0.001, max: 1e6, value: 'RUNS/S' },
  sandbox: { type: 'choice', choices: POOL_BACKENDS, value: 'BACKEND' },
  'target-miss-rate': { type: 'number', min: 0.0001, max: 1, value: 'P' },
  refills: { type: 'integer', min: 1, max: 100, value: 'N' },
  json: { type: 'boolean' },
} as const;

const percent = (p: number): string => `${Number((100 * p).toPrecision(2))}%`;
const seconds = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);

/** The advice as the terminal shows it: what was measured, Little's law, the size, and the options that give it. */
export function adviceText(a: PoolAdvice): string {
  const min = Math.min(2, a.size);
  return `${a.backend}: a refill takes ${seconds(a.refillMs)} on this machine (median of ${a.refills}, measured one at a time)
At ${a.rate} runs/s, ${a.inRefill.toFixed(2)} sandboxes are being refilled at any time (Little's law: rate × refill time).
Size ${a.size} keeps the miss rate under ${percent(a.targetMissRate)} (${percent(a.missProbability)} with Poisson arrivals), with
${a.refillConcurrency} refills started at once (with fewer, refills queue behind the arrivals whatever the size):
  createPool('${a.backend}', { size: ${a.size}, refillConcurrency: ${a.refillConcurrency} })
or let the pool size itself from what it measures under its real load:
  createPool('${a.backend}', { size: { min: ${min}, max: ${Math.max(min, a.size)}, targetMissRate: ${a.targetMissRate} } })
Overlapping refills share this machine's cores and take longer than alone: health().autosize shows the refill
time and arrival rate a running pool measures.
`;
}

export const poolCommand: Command = defineCommand({
  name: 'pool',
  summary: 'which pool size an arrival rate needs on this machine, from measured refill times (--advise)',
  usage: `Usage: sandbox-perf pool --advise --rate RUNS/S [--sandbox BACKEND] [options]

Measures how long a pool of BACKEND takes to refill one sandbox on this machine (it starts a pool
of one and runs \`true\` in it, one refill at a time), then applies Little's law: at RATE runs per
second, RATE × refill time sandboxes are being refilled at any time, and a run misses (waits for a
sandbox) when the runs of the last refill time have taken them all. With Poisson arrivals the
size printed is the smallest whose miss probability is under --target-miss-rate. It prints the
pool options that give it, fixed or self-sizing (size: { min, max, targetMissRate }; see
docs/runners.md).

Options:
  --advise                 say which size --rate needs (the command's one mode)
  --rate RUNS/S            arrival rate to serve, runs per second (e.g. 2.5)
  --sandbox BACKEND        ${POOL_BACKENDS.join(', ')}   [default: docker-pool]
  --target-miss-rate P     share of runs that may wait for a sandbox, 0.0001–1   [default: 0.05]
  --refills N              refills to measure                                     [default: 5]
  --json                   the advice as JSON (backend, rate, targetMissRate, refills, refillMs,
                           inRefill, size, missProbability, refillConcurrency)
  --help                   this text

Examples:
  sandbox-perf pool --advise --rate 2
  sandbox-perf pool --advise --rate 10 --sandbox gvisor-pool --target-miss-rate 0.01 --json
`,
  async run(argv, io) {
    const parsed = parseArgs(argv, FLAGS, 'pool');
    if (parsed.positionals.length > 0 || parsed.command !== null) {
      throw new UsageError(`'pool' takes no command or arguments, got ${JSON.stringify(parsed.positionals[0] ?? '--')}`);
    }
    if (parsed.flags.advise !== true) throw new UsageError("'pool' needs --advise (e.g. sandbox-perf pool --advise --rate 2)");
    const rate = parsed.flags.rate as number | undefined;
    if (rate === undefined) throw new UsageError('--advise needs --rate RUNS/S, the arrival rate to size for (e.g. --rate 2)');
    const backend = (parsed.flags.sandbox as PoolBackendName | undefined) ?? 'docker-pool';
    const advice = await advisePoolSize(backend, {
      rate,
      ...(parsed.flags['target-miss-rate'] === undefined ? {} : { targetMissRate: parsed.flags['target-miss-rate'] as number }),
      ...(parsed.flags.refills === undefined ? {} : { refills: parsed.flags.refills as number }),
    });
    io.stdout.write(parsed.flags.json === true ? `${JSON.stringify(advice, null, 2)}\n` : adviceText(advice));
    return 0;
  },
});
