import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, cli, describeBuilt } from './support/cli';

/*
 * Issue 23, finding 8, on `changes --input`: `0x10` and `+3` were read as values, a step from
 * 1e308 to −1e308 was not found (the sums overflowed), and 31 million values took 2.36 GB.
 */
jest.setTimeout(180_000);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-input-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string | Buffer): string {
  fs.writeFileSync(path.join(dir, name), text);
  return name;
}

/** The built CLI's `changes --input FILE --json` in a child whose peak RSS (KiB) is read back. */
function measured(file: string): Promise<{ code: number | null; stdout: string; maxRssKiB: number }> {
  const report = path.join(dir, `${file}.rss`);
  const probe = path.join(dir, 'rss.js');
  // VmHWM, the peak of this process image: getrusage's maxRSS also counts the forking parent's
  // pages from before the exec (Linux keeps the larger), so a large Jest worker would hide the child's.
  fs.writeFileSync(
    probe,
    "process.on('exit', () => { const fs = require('fs'); fs.writeFileSync(process.env.RSS_OUT, /VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); });\n",
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', probe, CLI, 'changes', '--input', file, '--json'], {
      cwd: dir,
      env: { PATH: process.env.PATH, RSS_OUT: report },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, maxRssKiB: Number(fs.readFileSync(report, 'utf8')) }));
  });
}

const noisy = (level: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => String(level * (1 + (((i * 7) % 5) - 2) / 100)));

describeBuilt('changes --input: decimal numbers, no overflow, bounded memory', () => {
  test.each([
    ['0x10', 'hex.txt'],
    ['+3', 'plus.txt'],
    ['Infinity', 'infinity.txt'],
    ['1_000', 'separator.txt'],
    ['0b101', 'binary.txt'],
    ['1e', 'exponent.txt'],
  ])('changes --input reads decimal numbers only: %s is refused with its line, exit 2', async (bad, name) => {
    write(name, `1\n2\n${bad}\n4\n`);
    const r = await cli(['changes', '--input', name], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `Error: --input: line 3 of ${path.join(dir, name)}: expected a decimal number (digits with an optional leading minus, fraction and exponent, e.g. -1.5e3), got ${JSON.stringify(bad)}\n`,
    );
  });

  // A hostile trial of 2026-12-07: a time past a Date's range gave "Error: Invalid time value", exit 1,
  // and 2026-02-30 was read as 2 March.
  test.each([['9000000000000000'], ['-9000000000000000'], ['2026-02-30']])(
    'changes --input: a time %s is refused with its line, exit 2',
    async (time) => {
      write('times.csv', `value,time\n1,1700000000000\n2,${time}\n`);
      const r = await cli(['changes', '--input', 'times.csv'], dir);
      expect(r.stderr).toMatch(new RegExp(`^Error: --input: line 3 of .*times\\.csv: expected a time .*, got "${time}"\n$`));
      expect(r.code).toBe(2);
    },
  );

  test('changes --input: a decimal beyond the largest double is out of range; -1.5e3, 5., .5 and 007 are read', async () => {
    write('huge.txt', '1\n1e400\n');
    const r = await cli(['changes', '--input', 'huge.txt'], dir);
    expect(r.stderr).toMatch(/line 2 of .*huge\.txt: expected a decimal number .*, got "1e400", which is out of range\n$/);
    write('forms.txt', ['-1.5e3', '5.', '.5', '007', '1E2', '-0'].join('\n'));
    const ok = await cli(['changes', '--input', 'forms.txt', '--json'], dir);
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toMatchObject({ values: 6, changes: [] });
  });

  test('changes overflow: --input with a step from 1e308 to -1e308 finds it, at its line', async () => {
    write('extreme.txt', `${[...noisy(1e308, 40), ...noisy(-1e308, 40)].join('\n')}\n`);
    const r = await cli(['changes', '--input', 'extreme.txt', '--json'], dir);
    expect(r.stderr).toBe('');
    const body = JSON.parse(r.stdout) as { changes: { index: number; line: number; relativeChange: number }[] };
    expect(body.changes.map((c) => [c.index, c.line])).toEqual([[40, 41]]);
    expect(body.changes[0]?.relativeChange).toBeCloseTo(-2, 6);
  });

  test('changes --input memory: 4 million values (an 8 MB file) stay within 8× the file size above a tiny input, and the step is found at its line', async () => {
    const count = 4_000_000;
    const bytes = Buffer.alloc(count * 2);
    // Values 0-4 then 5-9 (one digit each, the densest input a line can be): a step half way.
    for (let i = 0; i < count; i++) {
      bytes[2 * i] = 48 + ((i * 7) % 5) + (i >= count / 2 ? 5 : 0);
      bytes[2 * i + 1] = 10;
    }
    write('dense.txt', bytes);
    write('tiny.txt', '1\n2\n3\n');
    const baseline = await measured('tiny.txt');
    const big = await measured('dense.txt');
    expect([baseline.code, big.code]).toEqual([0, 0]);
    const body = JSON.parse(big.stdout) as { values: number; changes: { index: number; line: number }[] };
    expect(body.values).toBe(count);
    expect(body.changes.map((c) => c.index)).toContain(count / 2);
    expect(body.changes.find((c) => c.index === count / 2)?.line).toBe(count / 2 + 1);
    const grownBytes = (big.maxRssKiB - baseline.maxRssKiB) * 1024;
    process.stderr.write(
      `changes --input of ${bytes.length} bytes: peak RSS +${(grownBytes / 2 ** 20).toFixed(1)} MiB (${(grownBytes / bytes.length).toFixed(2)}× the file)\n`,
    );
    expect(grownBytes).toBeLessThanOrEqual(8 * bytes.length);
  });
});
