import fs from 'node:fs';
import path from 'node:path';
import { StateDatabase } from '../StateDatabase';
import { PumpTimers } from '../write/PumpTimers';
import { tempDir } from '../../../test/support/tempDir';

/*
 * The history's age timer (a row waits at most flushIntervalMs) is set a turn after the row is
 * queued (issue 27): `compare` flushes after each run, in the same turn, and a cleared Node timer
 * still wakes the event loop at its time (Node keeps its one libuv timer), 50 ms after each run,
 * inside the next run's timed window. A timer that is never set wakes nothing.
 */

const INTERVAL_MS = 37;

let dir: string;
beforeEach(() => {
  dir = tempDir('age-timer');
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A spy on setTimeout: its calls' arguments. */
interface Spy {
  mock: { calls: readonly (readonly unknown[])[] };
}

/** The timers set for `ms` since the spy was installed. */
const timersOf = (spy: Spy, ms: number): number => spy.mock.calls.filter((call) => call[1] === ms).length;
const ageTimers = (spy: Spy): number => timersOf(spy, INTERVAL_MS);

test('a row flushed in the turn it was queued sets no age timer', async () => {
  const db = new StateDatabase({ path: path.join(dir, 'state.db'), flushIntervalMs: INTERVAL_MS, handleExit: false });
  try {
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    db.insert('sandbox_perf_records', {
      sandboxId: 'a',
      startTime: 1_700_000_000_000,
      durationMs: 1,
      outcome: 'success',
      alertFired: false,
    });
    const flushed = db.flush({ timeoutMs: 5000 });
    await flushed;
    await new Promise((resolve) => setImmediate(resolve));
    // Before: 1 (set at the insert, cleared by the flush's write, and the loop still woke at its time).
    expect(ageTimers(setTimeoutSpy)).toBe(0);
    expect(db.health().written).toBe(1);
  } finally {
    await db.close();
  }
});

test('a row left queued is written after flushIntervalMs, its timer set on the next turn', async () => {
  const db = new StateDatabase({ path: path.join(dir, 'state.db'), flushIntervalMs: INTERVAL_MS, handleExit: false });
  try {
    await db.flush();
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    db.insert('sandbox_perf_records', {
      sandboxId: 'b',
      startTime: 1_700_000_000_000,
      durationMs: 1,
      outcome: 'success',
      alertFired: false,
    });
    expect(ageTimers(setTimeoutSpy)).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ageTimers(setTimeoutSpy)).toBe(1);
    const deadline = Date.now() + 10_000;
    while (db.health().written < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(db.health().written).toBe(1);
  } finally {
    await db.close();
  }
});

test('aged() twice in a turn arms one timer, and clearAge() before the next turn arms none', async () => {
  let pumps = 0;
  const timers = new PumpTimers(() => pumps++, 5);
  const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
  timers.aged();
  timers.aged();
  timers.clearAge();
  await new Promise((resolve) => setImmediate(resolve));
  expect(timersOf(setTimeoutSpy, 5)).toBe(0);
  timers.aged();
  timers.aged();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(timersOf(setTimeoutSpy, 5)).toBe(1);
  expect(pumps).toBe(1);
  timers.stop();
});
