import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServe } from '../../server';
import { changeRuns, dockerStart, STEP_AT } from '../../../../test/support/changeFixture';
import { writeCurrent } from '../../../../test/support/historyFixture';
import { changeLine, type ChangeMark } from '../../../state/read/changeMarks';

/*
 * Change points where users see them: the dashboard's JSON carries them as marks for the time
 * chart, and `serve` logs a line when a new one appears. Real servers over real SQLite files,
 * written by the real writer (the second batch while the server runs, as a recording process would).
 */
jest.setTimeout(60_000);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-marks-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function waitFor(check: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('/api/summary includes the change points as marks, newest first', async () => {
  const file = path.join(dir, 'marks.db');
  await writeCurrent(file, changeRuns());
  const server = await startServe({ port: 0, dbPath: file, changeIntervalMs: 0, onChangeLine: () => undefined });
  try {
    const body = (await (await fetch(`${server.url}api/summary`)).json()) as { summary: { changes: ChangeMark[] } };
    expect(body.summary.changes).toHaveLength(1);
    const mark = body.summary.changes[0] as ChangeMark;
    expect(mark).toMatchObject({ backend: 'docker', workload: null, metric: 'duration', time: dockerStart(STEP_AT) });
    expect(mark.relativeChange).toBeCloseTo(0.18, 2);
    expect(mark.meanBeforeMs).toBeCloseTo(500, 0);
    expect(mark.meanAfterMs).toBeCloseTo(590, 0);
    expect(mark.pValue).toBeLessThan(0.001);
    // The window of the page applies: after the step, no change inside.
    const later = (await (await fetch(`${server.url}api/summary?since=${dockerStart(STEP_AT)}`)).json()) as typeof body;
    expect(later.summary.changes).toEqual([]);
  } finally {
    await server.close();
  }
});

test('serve logs the count at start, then one line when a new change point appears', async () => {
  const file = path.join(dir, 'watch.db');
  const runs = changeRuns();
  const cut = runs.findIndex((r) => r.record.startTime >= dockerStart(STEP_AT));
  await writeCurrent(file, runs.slice(0, cut));
  const lines: string[] = [];
  const server = await startServe({ port: 0, dbPath: file, changeIntervalMs: 100, onChangeLine: (line) => lines.push(line) });
  try {
    await waitFor(() => lines.length >= 1);
    expect(lines).toEqual(['sandbox-perf serve: 0 change points in the history; new ones are logged here']);
    await writeCurrent(file, runs.slice(cut));
    await waitFor(() => lines.length >= 2);
    const expected = changeLine({
      backend: 'docker',
      workload: null,
      workloadLabel: null,
      metric: 'duration',
      time: dockerStart(STEP_AT),
      relativeChange: 0.18,
      pValue: 0,
    }).replace(/ \(p = .*$/, '');
    expect(lines[1]).toContain(`sandbox-perf serve: new change point: ${expected} (p = `);
    expect(lines[1]).toMatch(
      /^sandbox-perf serve: new change point: \+18 % duration on docker since 2026-12-03 \d\d:\d\d UTC \(p = [0-9.e-]+\)$/,
    );
    // Seen once: later looks stay quiet.
    await new Promise((r) => setTimeout(r, 400));
    expect(lines).toHaveLength(2);
  } finally {
    await server.close();
  }
});

test('changeLine: the one-line form, a decrease, a zero baseline, a workload', () => {
  const base = {
    backend: 'docker',
    workload: null,
    workloadLabel: null,
    metric: 'duration' as const,
    time: Date.UTC(2026, 11, 3, 14, 5),
    pValue: 0.0003,
  };
  expect(changeLine({ ...base, relativeChange: 0.18 })).toBe('+18 % duration on docker since 2026-12-03 14:05 UTC (p = 0.0003)');
  expect(changeLine({ ...base, relativeChange: -0.042, pValue: 3.21e-41 })).toBe(
    '-4.2 % duration on docker since 2026-12-03 14:05 UTC (p = 3.2e-41)',
  );
  expect(changeLine({ ...base, relativeChange: null, workload: 'cmd-0123456789ab', workloadLabel: 'npm test' })).toBe(
    'from 0 duration on docker (npm test) since 2026-12-03 14:05 UTC (p = 0.0003)',
  );
});
