import fs from 'node:fs';
import path from 'node:path';
import { RecordQueue } from '../RecordQueue';
import type { RecordBatch } from '../RecordBatch';
import { SqliteStore, WriteAbandonedError } from '../SqliteStore';
import { countRows, sandboxIds } from '../../__tests__/faultKit';
import { tempDir } from '../../../../test/support/tempDir';

/*
 * The two halves of the exit hand-over, on a real file: the writer thread's store rolls back a
 * batch once the main thread has taken over, and the main thread's last write skips a batch that
 * the writer thread committed first.
 */

let dir: string;
let file: string;
beforeEach(() => {
  dir = tempDir('store-exit');
  file = path.join(dir, 'state.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function batchOf(tag: string, n: number): RecordBatch {
  const queue = new RecordQueue();
  for (let i = 0; i < n; i++) {
    queue.push(
      { sandboxId: `${tag}-${i}`, startTime: 1_790_000_000_000 + i, durationMs: 10 + i / 7, outcome: 'success', alertFired: false },
      undefined,
    );
  }
  return queue.drain();
}

test('writeAtExit skips the batch whose last row is already in the file, and writes the rest', () => {
  const store = new SqliteStore(file, { busyTimeoutMs: 1000 });
  const committed = batchOf('a', 50);
  store.write(committed);
  expect(store.writeAtExit(committed, batchOf('b', 20))).toMatchObject({ written: 20, rejected: 0 });
  store.close();
  expect(countRows(file)).toBe(70);
  expect(new Set(sandboxIds(file)).size).toBe(70);
});

test('writeAtExit writes a batch that never reached the file, then the rest, in order', () => {
  const store = new SqliteStore(file, { busyTimeoutMs: 1000 });
  store.write(batchOf('earlier', 5));
  expect(store.writeAtExit(batchOf('a', 30), batchOf('b', 10))).toMatchObject({ written: 40, rejected: 0 });
  expect(store.writeAtExit(undefined, batchOf('c', 0))).toMatchObject({ written: 0, rejected: 0 });
  store.close();
  const ids = sandboxIds(file);
  expect(ids).toHaveLength(45);
  expect(ids.slice(5, 7)).toEqual(['a-0', 'a-1']);
  expect(ids.at(-1)).toBe('b-9');
});

test('a run with the same id but another duration is not taken for the committed one', () => {
  const store = new SqliteStore(file, { busyTimeoutMs: 1000 });
  store.write(batchOf('a', 3));
  const other = batchOf('a', 3);
  other.durations[2] = 99.5;
  expect(store.writeAtExit(other, batchOf('b', 0))).toMatchObject({ written: 3, rejected: 0 });
  store.close();
  expect(countRows(file)).toBe(6);
});

test('abandonWrites: once it answers true, a write rolls back and throws WriteAbandonedError', () => {
  let takenOver = false;
  const store = new SqliteStore(file, { busyTimeoutMs: 1000, abandonWrites: () => takenOver });
  expect(store.write(batchOf('a', 10))).toMatchObject({ written: 10, rejected: 0 });
  takenOver = true;
  expect(() => store.write(batchOf('b', 10))).toThrow(WriteAbandonedError);
  store.close();
  expect(sandboxIds(file)).toEqual(Array.from({ length: 10 }, (_, i) => `a-${i}`));
});
