import fs from 'node:fs';
import Database from 'better-sqlite3';
import os from 'node:os';
import path from 'node:path';
import { HistoryReader } from '../HistoryReader';
import { HistoryLacksColumnError } from '../runSeries';
import { changeRuns, dockerStart, STEP_AT, WORKLOAD } from '../../../../test/support/changeFixture';
import { writeCurrent, writeVersion3 } from '../../../../test/support/historyFixture';

jest.setTimeout(60_000);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-changes-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const summary = (reader: HistoryReader, query = {}) =>
  reader.changes(query).map((s) => ({ backend: s.backend, runs: s.runs, at: s.changes.map((c) => c.index) }));

test('changes() finds the docker step at its run, per backend, from a file the real writer wrote', async () => {
  const file = path.join(dir, 'current.db');
  await writeCurrent(file, changeRuns());
  const reader = new HistoryReader(file);
  try {
    expect(summary(reader)).toEqual([
      { backend: 'docker', runs: 120, at: [STEP_AT] },
      { backend: 'none', runs: 120, at: [] },
      { backend: 'unknown', runs: 30, at: [] },
    ]);
    const docker = reader.changes({ backend: 'docker' });
    expect(docker).toHaveLength(1);
    const change = docker[0]?.changes[0];
    expect(change?.time).toBe(dockerStart(STEP_AT));
    expect(change?.relativeChange).toBeCloseTo(0.18, 2);
    expect(change?.before.count).toBe(STEP_AT);
    expect(change?.pValue).toBeLessThan(1e-30);
    expect(docker[0]?.firstStart).toBe(dockerStart(0));
    expect(docker[0]?.lastStart).toBe(dockerStart(119));
    // A window after the step, and the last runs only: no step inside either.
    expect(summary(reader, { backend: 'docker', since: dockerStart(STEP_AT) })).toEqual([{ backend: 'docker', runs: 60, at: [] }]);
    expect(summary(reader, { backend: 'docker', maxRuns: 40 })).toEqual([{ backend: 'docker', runs: 40, at: [] }]);
    expect(summary(reader, { backend: 'docker', maxRuns: 80 })).toEqual([{ backend: 'docker', runs: 80, at: [20] }]);
    expect(summary(reader, { backend: 'docker', until: dockerStart(STEP_AT) })).toEqual([{ backend: 'docker', runs: 60, at: [] }]);
    expect(summary(reader, { backend: 'unknown' })).toEqual([{ backend: 'unknown', runs: 30, at: [] }]);
    expect(summary(reader, { backend: 'gvisor' })).toEqual([]);
    // Detector options pass through: a step of 18 % is below a 50 % minimum.
    expect(summary(reader, { backend: 'docker', detector: { minRelativeChange: 0.5 } })).toEqual([
      { backend: 'docker', runs: 120, at: [] },
    ]);
  } finally {
    reader.close();
  }
});

test('a file at schema version 3 (joins) gives the same changes', () => {
  const file = path.join(dir, 'v3.db');
  writeVersion3(file, changeRuns());
  const reader = new HistoryReader(file);
  try {
    expect(summary(reader)).toEqual([
      { backend: 'docker', runs: 120, at: [STEP_AT] },
      { backend: 'none', runs: 120, at: [] },
      { backend: 'unknown', runs: 30, at: [] },
    ]);
  } finally {
    reader.close();
  }
});

test('with workloads (schema 5): one series per workload and backend, by duration or by overhead', async () => {
  const file = path.join(dir, 'workloads.db');
  await writeCurrent(file, changeRuns({ workloads: true }));
  const reader = new HistoryReader(file);
  try {
    const bySeries = (query = {}) =>
      reader.changes(query).map((s) => ({
        series: `${s.backend}/${s.workloadLabel ?? '-'}`,
        runs: s.runs,
        at: s.changes.map((c) => [c.index, Math.round((c.relativeChange ?? 0) * 100)]),
      }));
    expect(bySeries()).toEqual([
      { series: 'docker/sleep 0.4', runs: 120, at: [[STEP_AT, 18]] },
      { series: 'none/sleep 0.4', runs: 120, at: [] },
      { series: 'unknown/-', runs: 30, at: [] },
    ]);
    // Overhead = duration − command time: about 100 → 190 ms on docker.
    expect(bySeries({ metric: 'overhead' })).toEqual([
      { series: 'docker/sleep 0.4', runs: 120, at: [[STEP_AT, 90]] },
      { series: 'none/sleep 0.4', runs: 120, at: [] },
    ]);
    expect(reader.changes({ metric: 'overhead', backend: 'docker' })[0]?.workload).toBe(WORKLOAD.id);
    // A workload by its label or its id; another workload has no runs.
    expect(bySeries({ workload: WORKLOAD.label, backend: 'docker' })).toEqual([
      { series: 'docker/sleep 0.4', runs: 120, at: [[STEP_AT, 18]] },
    ]);
    expect(bySeries({ workload: WORKLOAD.id, metric: 'overhead', backend: 'none' })).toEqual([
      { series: 'none/sleep 0.4', runs: 120, at: [] },
    ]);
    expect(bySeries({ workload: 'npm test' })).toEqual([]);
  } finally {
    reader.close();
  }
});

test('a history from before schema 5 refuses workload and overhead series, saying it has no such column', () => {
  const file = path.join(dir, 'lacks.db');
  writeVersion3(file, changeRuns().slice(0, 10));
  const reader = new HistoryReader(file);
  try {
    expect(() => reader.changes({ workload: 'npm-test' })).toThrow(HistoryLacksColumnError);
    expect(() => reader.changes({ workload: 'npm-test' })).toThrow(
      /has no workload column \(schema version 3; workloads are recorded from version 5/,
    );
    expect(() => reader.changes({ metric: 'overhead' })).toThrow(/has no overhead column \(schema version 3/);
  } finally {
    reader.close();
  }
});

test('rows edited by hand into non-numbers are left out, not fatal (regression: one poisoned row failed the analysis)', async () => {
  const file = path.join(dir, 'poisoned.db');
  await writeCurrent(file, changeRuns());
  const db = new Database(file);
  db.prepare(
    "UPDATE sandbox_run_details SET duration_ms = 'garbage' WHERE record_id = (SELECT min(record_id) FROM sandbox_run_details WHERE backend = 'docker')",
  ).run();
  db.prepare(
    "UPDATE sandbox_run_details SET start_time = 'yesterday' WHERE record_id = (SELECT max(record_id) FROM sandbox_run_details WHERE backend = 'none')",
  ).run();
  db.close();
  const reader = new HistoryReader(file);
  try {
    expect(summary(reader, { backend: 'docker' })).toEqual([{ backend: 'docker', runs: 119, at: [STEP_AT - 1] }]);
    expect(summary(reader, { backend: 'none' })).toEqual([{ backend: 'none', runs: 119, at: [] }]);
  } finally {
    reader.close();
  }
});

test('a missing file has no changes; bad queries throw in the one message shape', () => {
  const reader = new HistoryReader(path.join(dir, 'absent.db'));
  expect(reader.changes()).toEqual([]);
  expect(() => reader.changes({ metric: 'cpu' as 'duration' })).toThrow(/^Expected `metric` to be one of 'duration', 'overhead'/);
  expect(() => reader.changes({ maxRuns: 0 })).toThrow(/^Expected `maxRuns` to be a finite integer >= 1/);
  expect(() => reader.changes({ backend: '' })).toThrow(/^Expected `backend` to be a non-empty string/);
  expect(() => reader.changes({ detector: { significance: 2 } })).toThrow(/^Expected `significance`/);
  reader.close();
});
