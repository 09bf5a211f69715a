import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { StateDatabase } from '../StateDatabase';
import { HistoryReader } from '../read/HistoryReader';
import { MIGRATIONS, SCHEMA_VERSION } from '../schema';
import { FINGERPRINT_VERSION, fingerprintHash, fingerprintMixWarning, writerFingerprint } from '../fingerprintHistory';
import { hostFingerprint, type MachineFingerprint } from '../../machine/fingerprint';
import { version } from '../../version';
import { reportCommand } from '../../cli/commands/report';
import { startServe } from '../../export/server';
import type { CommandIo } from '../../cli/command';
import { tempDir } from '../../../test/support/tempDir';

// Real writer threads, files and a real server on a shared, busy machine.
jest.setTimeout(30_000);

let dir: string;
let file: string;
beforeEach(() => {
  dir = tempDir('fingerprint');
  file = path.join(dir, 'state.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;

/** Runs 10..(10+n) ms, alternating none and docker, one a second from `t0`. */
async function writeRuns(target: string, n: number, t0 = T0): Promise<void> {
  const db = new StateDatabase({ path: target, handleExit: false });
  for (let i = 0; i < n; i++) {
    db.insert(
      'sandbox_perf_records',
      { sandboxId: `r-${i}`, startTime: t0 + i * 1000, durationMs: 10 + i, outcome: 'success', alertFired: false },
      { backend: i % 2 === 0 ? 'none' : 'docker' },
    );
  }
  await db.close();
}

/** A second machine state (another kernel, hostile text in the CPU model) tagging the docker runs from `since`. */
function tagDockerRunsWithAnotherMachine(target: string, since: number): void {
  const db = new Database(target);
  const other: MachineFingerprint = { ...writerFingerprint(), kernel: 'Linux 9.9.9-other', cpuModel: 'Evil\u001b[31m\u202eCPU' };
  const { lastInsertRowid } = db
    .prepare('INSERT INTO sandbox_fingerprints (hash, json, first_seen) VALUES (?, ?, ?)')
    .run(fingerprintHash(other), JSON.stringify(other), new Date(T0).toISOString());
  db.prepare("UPDATE sandbox_run_details SET fingerprint_id = ? WHERE backend = 'docker' AND start_time >= ?").run(lastInsertRowid, since);
  db.close();
}

function io(): CommandIo & { out: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  return { stdout, stderr, env: {}, cwd: dir, out: () => out };
}

test('runs written by the real writer carry the fingerprint of its process, stored once', async () => {
  await writeRuns(file, 6);
  await writeRuns(file, 4, T0 + 60_000);
  const db = new Database(file, { readonly: true });
  const rows = db.prepare('SELECT id, hash, json, first_seen FROM sandbox_fingerprints').all() as {
    id: number;
    hash: string;
    json: string;
    first_seen: string;
  }[];
  expect(rows).toHaveLength(1);
  const stored = JSON.parse((rows[0] as { json: string }).json) as MachineFingerprint;
  // The hash ignores the load average, which the JSON keeps.
  expect(rows[0]?.hash).toBe(fingerprintHash({ ...hostFingerprint(version), loadAverage: [99, 99, 99] }));
  expect(stored.loadAverage).toHaveLength(3);
  expect(stored).toMatchObject({ kernel: hostFingerprint(version).kernel, docker: null, gvisor: null, sandboxPerf: version });
  expect(new Date(rows[0]?.first_seen as string).getTime()).toBeGreaterThan(T0);
  const tags = db.prepare('SELECT fingerprint_id AS id, count(*) AS n FROM sandbox_run_details GROUP BY fingerprint_id').all();
  expect(tags).toEqual([{ id: rows[0]?.id, n: 10 }]);
  db.close();
  const reader = new HistoryReader(file);
  expect(reader.fingerprints()).toEqual([{ id: rows[0]?.id, runs: 10, fingerprint: stored }]);
  expect(reader.fingerprintWarning()).toBeNull();
  reader.close();
});

test('a history with two fingerprints: report prints one escaped warning naming the fields, --json and /api/summary carry it', async () => {
  await writeRuns(file, 10);
  tagDockerRunsWithAnotherMachine(file, T0 + 4000);
  const reader = new HistoryReader(file);
  expect(reader.fingerprints().map((f) => f.runs)).toEqual([7, 3]);
  // Before the second machine appeared, and for one backend alone, there is nothing to warn about.
  expect(reader.fingerprintWarning({ until: T0 + 4000 })).toBeNull();
  expect(reader.fingerprintWarning({ backend: 'none' })).toBeNull();
  reader.close();

  const text = io();
  expect(await reportCommand.run(['--db', file], text)).toBe(0);
  const warnings = text
    .out()
    .split('\n')
    .filter((l) => l.startsWith('warning:'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(
    /^warning: these runs come from 2 machine fingerprints \(7 \+ 3 runs; kernel: ".*" → "Linux 9\.9\.9-other"; cpuModel: /,
  );
  // JSON.stringify in fingerprintDifferences already escapes it; printable() catches what it would not.
  expect(warnings[0]).toContain('Evil\\u001b[31m\\u202eCPU');
  for (const raw of ['\u001b', '\u202e']) expect(text.out()).not.toContain(raw);

  const json = io();
  expect(await reportCommand.run(['--db', file, '--json'], json)).toBe(0);
  expect((JSON.parse(json.out()) as { machineWarning: string }).machineWarning).toBe(warnings[0]?.slice('warning: '.length));
  const single = io();
  expect(await reportCommand.run(['--db', file, '--json', '--sandbox', 'docker'], single)).toBe(0);
  expect((JSON.parse(single.out()) as { machineWarning: unknown }).machineWarning).toBeNull();

  const server = await startServe({ port: 0, dbPath: file });
  try {
    const body = (await (await fetch(`${server.url}api/summary`)).json()) as { summary: { machineWarning: string | null } };
    expect(body.summary.machineWarning).toBe(warnings[0]?.slice('warning: '.length));
    const later = (await (await fetch(`${server.url}api/summary?since=${T0 + 8000}`)).json()) as {
      summary: { machineWarning: string | null };
    };
    // Runs 8 (none, first machine) and 9 (docker, second machine): still mixed.
    expect(later.summary.machineWarning).toContain('2 machine fingerprints (1 + 1 runs;');
    const page = await (await fetch(server.url)).text();
    expect(page).toContain('id="machine-warning"');
  } finally {
    await server.close();
  }
});

test('a schema 5 file is migrated: old runs stay untagged, new runs are tagged, the spec table keeps its columns', async () => {
  const old = new Database(file);
  for (const sql of MIGRATIONS.slice(0, 5)) old.exec(sql);
  old.pragma('user_version = 5');
  old
    .prepare(
      'INSERT INTO sandbox_perf_records (id, sandbox_id, start_time, duration_ms, outcome, alert_fired, created_at) VALUES (1, ?, ?, 5, ?, 0, ?)',
    )
    .run('old', T0, 'success', new Date(T0).toISOString());
  old
    .prepare('INSERT INTO sandbox_run_details (record_id, backend, start_time, duration_ms, alert_fired) VALUES (1, ?, ?, 5, 0)')
    .run('none', T0);
  const specColumns = old.prepare('PRAGMA table_info(sandbox_perf_records)').all();
  old.close();
  expect(new HistoryReader(file).fingerprints()).toEqual([]);

  await writeRuns(file, 2, T0 + 10_000);
  const db = new Database(file, { readonly: true });
  expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(FINGERPRINT_VERSION);
  expect(db.prepare('PRAGMA table_info(sandbox_perf_records)').all()).toEqual(specColumns);
  expect(db.prepare('SELECT record_id, fingerprint_id FROM sandbox_run_details ORDER BY record_id').all()).toEqual([
    { record_id: 1, fingerprint_id: null },
    { record_id: 2, fingerprint_id: 1 },
    { record_id: 3, fingerprint_id: 1 },
  ]);
  db.close();
  const reader = new HistoryReader(file);
  expect(reader.fingerprints().map((f) => f.runs)).toEqual([2]);
  expect(reader.fingerprintWarning()).toBeNull();
  reader.close();
});

test('fingerprintMixWarning: null for one state, every differing field for more; forged JSON reads as empty', () => {
  const a = writerFingerprint();
  expect(fingerprintMixWarning([])).toBeNull();
  expect(fingerprintMixWarning([{ id: 1, runs: 3, fingerprint: a }])).toBeNull();
  const b = { ...a, governor: 'powersave', cores: a.cores + 1 };
  expect(
    fingerprintMixWarning([
      { id: 1, runs: 3, fingerprint: a },
      { id: 2, runs: 2, fingerprint: b },
    ]),
  ).toBe(
    `these runs come from 2 machine fingerprints (3 + 2 runs; cores: ${a.cores} → ${a.cores + 1}; governor: ${JSON.stringify(a.governor)} → "powersave"): ` +
      'ratios between backends may compare machines, not sandboxes',
  );
});

test('a forged fingerprint row that is not JSON still gives a warning, not a crash', async () => {
  await writeRuns(file, 4);
  const db = new Database(file);
  const { lastInsertRowid } = db
    .prepare("INSERT INTO sandbox_fingerprints (hash, json, first_seen) VALUES ('x', 'not json', 'then')")
    .run();
  db.prepare("UPDATE sandbox_run_details SET fingerprint_id = ? WHERE backend = 'docker'").run(lastInsertRowid);
  db.close();
  const reader = new HistoryReader(file);
  expect(reader.fingerprints()[1]?.fingerprint).toEqual({});
  expect(reader.fingerprintWarning()).toMatch(/^these runs come from 2 machine fingerprints \(2 \+ 2 runs; kernel: ".*" → undefined;/);
  reader.close();
});
