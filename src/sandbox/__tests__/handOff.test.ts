import fs from 'node:fs';
import path from 'node:path';
import { SandboxPerfMonitor } from '../SandboxPerfMonitor';
import { StateDatabase } from '../../state/StateDatabase';
import { isHandedOff } from '../handOff';
import type { RecordSink, SandboxPerfRecord, SandboxRunDetails } from '../types';
import { tempDir } from '../../../test/support/tempDir';

/*
 * A monitor hands its StateDatabase records it has checked, and the database does not check them a
 * second time (src/sandbox/handOff.ts). The trust covers that one call and nothing else.
 */

let dir: string;
let db: StateDatabase;
beforeEach(() => {
  dir = tempDir('handoff');
  db = new StateDatabase({ path: path.join(dir, 'state.db'), handleExit: false });
});
afterEach(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the record is trusted while the monitor hands it to a StateDatabase, and only then', () => {
  const seen: boolean[] = [];
  class Watching extends StateDatabase {
    override insert(table: 'sandbox_perf_records', record: SandboxPerfRecord, details?: SandboxRunDetails): void {
      seen.push(isHandedOff(record));
      super.insert(table, record, details);
    }
  }
  const watched = new Watching({ path: path.join(dir, 'watched.db'), handleExit: false });
  const monitor = new SandboxPerfMonitor({ sink: watched });
  monitor.start('a');
  const record = monitor.stop('a', { outcome: 'success' });
  expect(seen).toEqual([true]);
  expect(isHandedOff(record)).toBe(false);
  expect(watched.health().queued).toBe(1);
  return watched.close();
});

test('a record inserted again after stop() returned is checked: its fields may have changed', () => {
  const monitor = new SandboxPerfMonitor({ sink: db });
  monitor.start('a');
  const record = monitor.stop('a', { outcome: 'success' });
  record.durationMs = -1;
  expect(() => db.insert('sandbox_perf_records', record)).toThrow(/^Expected `record.durationMs` to be a finite number >= 0, got `-1`/);
  expect(db.health().queued).toBe(1);
});

test('a sink of the caller that changes the record before passing it on to a StateDatabase gets it checked', () => {
  const changing: RecordSink = {
    insert(table, record, details) {
      db.insert(table, { ...record, durationMs: Number.NaN }, details);
    },
  };
  const forwarding: RecordSink = {
    insert(table, record, details) {
      record.outcome = 'crashed' as never;
      db.insert(table, record, details);
    },
  };
  for (const sink of [changing, forwarding]) {
    const monitor = new SandboxPerfMonitor({ sink });
    monitor.start('a');
    monitor.stop('a', { outcome: 'success' });
    expect(monitor.getReport().persistErrors).toBe(1);
  }
  expect(db.health().queued).toBe(0);
});
