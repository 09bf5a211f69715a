import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { changeRuns, dockerStart, STEP_AT, WORKLOAD } from '../../../test/support/changeFixture';
import { writeCurrent, writeVersion3 } from '../../../test/support/historyFixture';

/*
 * `sandbox-perf changes` end to end through the built CLI (dist/cli/main.js; `npm test` builds
 * first): a real SQLite history written by the real writer, and real --input files.
 */
const CLI = path.resolve(__dirname, '../../../dist/cli/main.js');
const built = fs.existsSync(CLI);
const d = built ? describe : describe.skip;
if (!built) process.stderr.write(`skipped changes end-to-end tests: ${CLI} is missing (run: npm run build)\n`);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-changes-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const wiggle = (i: number): number => 1 + (((i * 7) % 5) - 2) / 200;

d('sandbox-perf changes', () => {
  jest.setTimeout(60_000);
  const db = (): string => path.join(dir, 'history.db');

  beforeAll(async () => {
    await writeCurrent(db(), changeRuns());
  });

  test('lists the docker step newest first with its size, time and p-value; other series have none', async () => {
    const r = await cli(['changes', '--db', db()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const when = new Date(dockerStart(STEP_AT)).toISOString().slice(0, 16).replace('T', ' ');
    expect(r.stdout).toContain(`1 change point, newest first (3 series, 270 runs):`);
    expect(r.stdout).toMatch(new RegExp(`^  \\+18 % duration on docker since ${when} UTC \\(p = [0-9.e-]+\\)$`, 'm'));
    expect(r.stdout).toMatch(/mean 50\d\.\d+ ms → 59\d\.\d+ ms, median 500\.0 ms → 590\.0 ms, 60 runs before, 60 after/);
  });

  test('--json: one entry per series with its change points; --sandbox and --since narrow it', async () => {
    const r = await cli(['changes', '--db', db(), '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as {
      metric: string;
      series: { backend: string; runs: number; changes: { index: number; time: number; relativeChange: number; pValue: number }[] }[];
    };
    expect(body.metric).toBe('duration');
    expect(body.series.map((s) => [s.backend, s.runs, s.changes.map((c) => c.index)])).toEqual([
      ['docker', 120, [STEP_AT]],
      ['none', 120, []],
      ['unknown', 30, []],
    ]);
    const change = body.series[0]?.changes[0];
    expect(change?.time).toBe(dockerStart(STEP_AT));
    expect(change?.relativeChange).toBeCloseTo(0.18, 2);
    expect(change?.pValue).toBeLessThan(0.001);

    const narrowed = await cli([
      'changes',
      '--db',
      db(),
      '--json',
      '--sandbox',
      'docker',
      '--since',
      new Date(dockerStart(STEP_AT)).toISOString(),
    ]);
    expect((JSON.parse(narrowed.stdout) as typeof body).series.map((s) => [s.backend, s.runs, s.changes.length])).toEqual([
      ['docker', 60, 0],
    ]);
    const none = await cli(['changes', '--db', db(), '--sandbox', 'none']);
    expect(none.stdout).toContain('No change points (1 series, 120 runs).');
  });

  test('workloads: per workload series by duration and overhead; an unknown workload and an old history are clear errors', async () => {
    const file = path.join(dir, 'workloads.db');
    await writeCurrent(file, changeRuns({ workloads: true }));
    const when = new Date(dockerStart(STEP_AT)).toISOString().slice(0, 16).replace('T', ' ');
    const overhead = await cli(['changes', '--db', file, '--metric', 'overhead']);
    expect(overhead.stderr).toBe('');
    expect(overhead.stdout).toMatch(
      new RegExp(`^  \\+90 % overhead on docker \\(sleep 0\\.4\\) since ${when} UTC \\(p = [0-9.e-]+\\)$`, 'm'),
    );
    const byLabel = await cli(['changes', '--db', file, '--workload', 'sleep 0.4', '--sandbox', 'docker', '--json']);
    const body = JSON.parse(byLabel.stdout) as {
      series: { backend: string; workload: string; workloadLabel: string; changes: { index: number }[] }[];
    };
    expect(body.series.map((s) => [s.backend, s.workload, s.workloadLabel, s.changes.map((c) => c.index)])).toEqual([
      ['docker', WORKLOAD.id, 'sleep 0.4', [STEP_AT]],
    ]);
    const unknown = await cli(['changes', '--db', file, '--workload', 'npm-test']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^Error: --workload: no runs of workload "npm-test" \(give a workload id like cmd-0123456789ab or its label/,
    );
    // A history without any timed command: no overhead series, said so.
    const none = await cli(['changes', '--db', db(), '--metric', 'overhead']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('No run has an overhead: none timed its command');

    const old = path.join(dir, 'v3.db');
    writeVersion3(old, changeRuns());
    const w = await cli(['changes', '--db', old, '--workload', 'npm-test']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/^Error: the history at .*v3\.db has no workload column \(schema version 3/);
    const o = await cli(['changes', '--db', old, '--metric', 'overhead']);
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(/has no overhead column \(schema version 3/);
    const bad = await cli(['changes', '--db', db(), '--metric', 'cpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('Error: Expected `--metric` to be one of duration, overhead, got `"cpu"`\n');
    const typo = await cli(['changes', '--db', db(), '--sandbox', 'dokcer']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Expected `--sandbox` to be one of none, .*, got `"dokcer"`/);
  });

  test('--input CSV with time and value columns, --json', async () => {
    const t0 = Date.UTC(2026, 11, 3, 12);
    const rows = Array.from({ length: 120 }, (_, i) => `${new Date(t0 + i * 60_000).toISOString()},${(i < 70 ? 100 : 118) * wiggle(i)},x`);
    fs.writeFileSync(path.join(dir, 'series.csv'), `time,value,note\n${rows.join('\n')}\n`);
    const r = await cli(['changes', '--input', 'series.csv', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as {
      values: number;
      changes: { index: number; time: number; line: number; relativeChange: number }[];
    };
    expect(body.values).toBe(120);
    expect(body.changes.map((c) => [c.index, c.time, c.line])).toEqual([[70, t0 + 70 * 60_000, 72]]);
    expect(body.changes[0]?.relativeChange).toBeCloseTo(0.18, 2);
    const text = await cli(['changes', '--input', 'series.csv']);
    expect(text.stdout).toContain('+18 % at value 71 (line 72) since 2026-12-03 13:10 UTC (p = ');
  });

  test('--input one number per line, and bad inputs named with their line', async () => {
    fs.writeFileSync(path.join(dir, 'plain.txt'), Array.from({ length: 40 }, (_, i) => (i < 20 ? 10 : 13) * wiggle(i)).join('\n'));
    const r = await cli(['changes', '--input', 'plain.txt', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { changes: { index: number; time: null }[] }).changes.map((c) => [c.index, c.time])).toEqual([
      [20, null],
    ]);

    const cases: [string, string, RegExp][] = [
      ['letters.txt', '1\n2\nthree\n', /^Error: --input: line 3 of .*letters\.txt: expected a decimal number \(.*\), got "three"\n$/],
      ['header.csv', 'when,duration\n1,2\n', /line 1 of .*header\.csv is a header without a `value` column \(found "when", "duration"\)/],
      ['ragged.csv', 'time,value\n1,2\n3\n', /line 3 of .*ragged\.csv has 1 fields, expected 2/],
      ['order.csv', 'time,value\n5,1\n4,1\n', /line 3 of .*order\.csv is earlier than the line before it/],
      ['badtime.csv', 'time,value\nyesterday,1\n', /line 2 of .*badtime\.csv: expected a time \(epoch ms or an ISO date/],
      ['empty.txt', '\n\n', /empty\.txt is empty; expected CSV with a `value` column or one number per line/],
    ];
    for (const [name, content, message] of cases) {
      fs.writeFileSync(path.join(dir, name), content);
      const bad = await cli(['changes', '--input', name]);
      expect({ name, code: bad.code }).toEqual({ name, code: 2 });
      expect(bad.stderr).toMatch(message);
    }
    const missing = await cli(['changes', '--input', 'absent.csv']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--input: cannot read .*absent\.csv \(ENOENT/);
    const mixed = await cli(['changes', '--input', 'plain.txt', '--sandbox', 'docker']);
    expect(mixed.stderr).toBe('Error: --sandbox reads the history; it cannot be combined with --input\n');
  });
});
