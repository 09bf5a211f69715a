import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startServe } from '../../export/server';
import { StateDatabase } from '../../state/StateDatabase';
import { cli, describeBuilt } from './support/cli';

const EVIL = '\u001b[2J\u001b]0;PWNED\u0007';
const EVIL_BACKEND = `evil${EVIL}\nnone`;
const ESCAPED_BACKEND = 'evil\\x1b[2J\\x1b]0;PWNED\\x07\\x0anone';

// Real child processes and a writer thread on a shared, busy machine.
jest.setTimeout(60_000);

let dir: string;
let file: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-inject-'));
  file = path.join(dir, 'state.db');
  // A real history first, then a row forged straight into the tables, as a sandboxed command
  // that reached the file (or anyone with write access) could.
  const db = new StateDatabase({ path: file, handleExit: false });
  db.insert(
    'sandbox_perf_records',
    { sandboxId: 'honest', startTime: Date.now() - 1000, durationMs: 12, outcome: 'success', alertFired: false },
    { backend: 'none', phases: { run: 11 } },
  );
  await db.close();
  const raw = new Database(file);
  const now = Date.now();
  const id = raw
    .prepare(
      'INSERT INTO sandbox_perf_records (sandbox_id, start_time, duration_ms, outcome, alert_fired, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run(`forged${EVIL}\u202e`, now, 9000, 'success', 1, new Date(now).toISOString()).lastInsertRowid;
  raw
    .prepare('INSERT INTO sandbox_run_details (record_id, backend, error, start_time, duration_ms, alert_fired) VALUES (?, ?, ?, ?, ?, ?)')
    .run(id, EVIL_BACKEND, `boom${EVIL}`, now, 9000, 1);
  raw
    .prepare('INSERT INTO sandbox_run_phases (record_id, phase, duration_ms, backend, start_time) VALUES (?, ?, ?, ?, ?)')
    .run(id, `run${EVIL}\n`, 8000, EVIL_BACKEND, now);
  raw.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// eslint-disable-next-line no-control-regex -- the characters that must never reach the operator raw
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describeBuilt('terminal injection', () => {
  test('terminal injection: a forged backend and phase name reach report escaped, one line each', async () => {
    const r = await cli(['report', '--db', file], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toContain(ESCAPED_BACKEND);
    expect(r.stdout).toContain('run\\x1b[2J\\x1b]0;PWNED\\x07\\x0a');
    // The newline in the name does not break the table: the forged backend's row is one line.
    expect(r.stdout.split('\n').filter((line) => line.startsWith('evil'))).toHaveLength(1);

    const json = await cli(['report', '--db', file, '--json'], dir);
    expect(json.code).toBe(0);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    const view = JSON.parse(json.stdout) as { byBackend: { backend: string }[] };
    expect(view.byBackend.map((b) => b.backend)).toContain(ESCAPED_BACKEND);
  });

  test('terminal injection: the dashboard JSON carries the names escaped', async () => {
    const server = await startServe({ port: 0, dbPath: file });
    try {
      const text = await (await fetch(`${server.url}api/summary`)).text();
      const body = JSON.parse(text) as { summary: { backends: { backend: string }[]; recentAlerts: { sandboxId: string }[] } };
      const strings: string[] = [];
      JSON.stringify(body, (_key, value: unknown) => {
        if (typeof value === 'string') strings.push(value);
        return value;
      });
      expect(strings.filter((s) => RAW_CONTROL.test(s))).toEqual([]);
      expect(body.summary.backends.map((b) => b.backend)).toContain(ESCAPED_BACKEND);
      expect(text).toContain('forged\\\\x1b[2J');
    } finally {
      await server.close();
    }
  });
});
