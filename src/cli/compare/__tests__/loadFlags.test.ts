import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { compareCommand } from '../../commands/compare';
import type { CommandIo } from '../../command';
import { throughputOption } from '../loadFlags';
import { tempDir } from '../../../../test/support/tempDir';

// Real runs of `true` on none, in this process.
jest.setTimeout(120_000);

let root: string;
let cwd: string;
beforeAll(() => {
  root = tempDir('load-flags');
  cwd = path.join(root, 'work');
  fs.mkdirSync(cwd, { mode: 0o755 });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function io(): CommandIo & { out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const stderr = new PassThrough();
  stderr.resume();
  return { stdout, stderr, env: { NO_COLOR: '1' }, cwd, out: () => out };
}

describe('compare --concurrency, --rate, --load-runs', () => {
  test.each([
    [['--concurrency', '0'], /^Expected `--concurrency` to be a decimal integer from 1 to 256, got `"0"`/],
    [['--concurrency', '2.5'], /^Expected `--concurrency` to be a decimal integer/],
    [['--rate', '0'], /^Expected `--rate` to be a decimal number from 0\.001 to 10000, got `"0"`/],
    [['--rate', 'fast'], /^Expected `--rate` to be a decimal number/],
    [['--load-runs', '5'], /^--load-runs applies to --concurrency or --rate; add one/],
  ])('%j is refused before any run', async (flags, message) => {
    await expect(compareCommand.run([...flags, '--sandbox', 'none', '--', 'true'], io())).rejects.toThrow(message);
  });

  test('no flag, no throughput option', () => {
    expect(throughputOption({})).toEqual({});
    expect(throughputOption({ rate: 2.5, 'load-runs': 7 })).toEqual({ throughput: { rate: 2.5, runs: 7 } });
  });

  test('the text has a line per load and the JSON export the figures', async () => {
    const json = path.join(root, 'out.json');
    const stream = io();
    const args = ['--sandbox', 'none', '--runs', '1', '--warmup', '0', '--concurrency', '2', '--rate', '40', '--load-runs', '4'];
    const code = await compareCommand.run([...args, '--db', path.join(root, 'h.db'), '--export-json', json, '--', 'true'], stream);
    expect(code).toBe(0);
    expect(stream.out()).toMatch(/Under load \(each backend in turn/);
    expect(stream.out()).toMatch(/none {2}2 in flight +[\d.]+ runs\/s {2}latency p50 .+, p99 .+ {2}\(4 runs, peak 2 in flight\)/);
    expect(stream.out()).toMatch(/none {2}40\/s arrivals {2}[\d.]+ runs\/s/);
    expect(stream.out()).toMatch(/no pool: each run starts its own sandbox \(in its latency\); no sandbox: the host itself/);
    const exported = JSON.parse(fs.readFileSync(json, 'utf8')) as { throughput: Record<string, unknown>[] };
    expect(exported.throughput.map((t) => [t.mode, t.concurrency, t.rate, t.runs, t.failures])).toEqual([
      ['closed', 2, null, 4, 0],
      ['open', null, 40, 4, 0],
    ]);
    expect(Object.keys(exported.throughput[0] ?? {}).sort()).toEqual(
      [
        'backend',
        'concurrency',
        'failures',
        'firstError',
        'freshPerRun',
        'latency',
        'mode',
        'peakInFlight',
        'rate',
        'runs',
        'runsPerSecond',
        'wallMs',
        'waits',
      ].sort(),
    );
  });
});
