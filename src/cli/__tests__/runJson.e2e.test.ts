import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { launcherStatus } from '../../runners/host/launcher';
import { spawnerStatus } from '../../runners/host/Spawner';

/* `run --json` through the built CLI (dist/cli/main.js; `npm test` builds first). */
const CLI = path.resolve(__dirname, '../../../dist/cli/main.js');
const built = fs.existsSync(CLI);
const d = built ? describe : describe.skip;
if (!built) process.stderr.write(`skipped run --json tests: ${CLI} is missing (run: npm run build)\n`);
const timed = launcherStatus().path !== null;
// With the spawner, `none` is timed by it (the command alone in its window).
const spawned = spawnerStatus().path !== null;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-run-json-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

d('run --json', () => {
  test('stdout is one JSON record with its decomposition; the command output goes to stderr; the history has the workload', async () => {
    const db = path.join(dir, 'state.db');
    const { code, stdout, stderr } = await cli([
      'run',
      '--json',
      '--workload',
      'smoke',
      '--db',
      db,
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    ]);
    expect(code).toBe(3);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(record).toMatchObject({
      backend: 'none',
      outcome: 'error',
      exitCode: 3,
      workload: 'smoke',
      workloadLabel: 'smoke',
      alertFired: false,
    });
    expect(Object.keys(record)).toEqual(
      expect.arrayContaining([
        'sandboxId',
        'startTime',
        'durationMs',
        'commandMs',
        'overheadMs',
        'timer',
        'phases',
        'untimed',
        'commandLine',
      ]),
    );
    expect(stderr).toContain('out\n');
    expect(stderr).toContain('err\n');
    expect(stderr).not.toContain('sandbox-perf-launcher');
    if (timed) {
      const { commandMs, overheadMs, durationMs, phases } = record as {
        commandMs: number;
        overheadMs: number;
        durationMs: number;
        phases: Record<string, number>;
      };
      expect(record.timer).toBe(spawned ? 'spawner' : 'launcher');
      expect(record.commandLine).toMatchObject({ backend: 'none' });
      // Through the spawner `none` executes the command alone; from Node, behind setpriv and the launcher.
      expect((record.commandLine as { argv: string[] }).argv.slice(spawned ? 0 : -3)).toEqual([
        'sh',
        '-c',
        'echo out; echo err >&2; exit 3',
      ]);
      expect(commandMs + overheadMs).toBeCloseTo(durationMs, 6);
      expect(phases.command).toBe(commandMs);
    } else {
      expect(record).toMatchObject({ commandMs: null, overheadMs: null });
    }
    const reader = new Database(db, { readonly: true });
    try {
      expect(reader.prepare('SELECT workload, backend, exit_code, outcome FROM sandbox_run_overhead').all()).toEqual([
        { workload: 'smoke', backend: 'none', exit_code: 3, outcome: 'error' },
      ]);
    } finally {
      reader.close();
    }
  });

  test('without --workload the record carries the derived key and the command line as label', async () => {
    const { stdout } = await cli(['run', '--json', '--db', path.join(dir, 'state.db'), '--', 'true']);
    expect(JSON.parse(stdout)).toMatchObject({ workload: expect.stringMatching(/^cmd-[0-9a-f]{12}$/) as string, workloadLabel: 'true' });
  });
});
