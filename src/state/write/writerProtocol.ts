import type { RecordBatch } from './RecordBatch';
import type { Retention, StoreEvent, WriteResult } from './SqliteStore';

/** Messages between StateDatabase (main thread) and its writer thread. */
export type ToWriter =
  { type: 'open' } | { type: 'write'; batch: RecordBatch } | { type: 'prune'; retention: Retention } | { type: 'close' };

export type FromWriter =
  | { type: 'opened' }
  | { type: 'written'; result: WriteResult }
  | { type: 'failed'; code: string; message: string }
  | { type: 'event'; event: StoreEvent }
  | { type: 'pruned'; removed: number }
  | { type: 'closed' };

export interface WriterData {
  file: string;
  busyTimeoutMs: number;
  /**
   * Shared with the main thread. [0] = 1 once the main thread writes the remaining rows itself at
   * process exit: from then on the writer commits no batch it has not begun.
   */
  control: Int32Array;
}

/** Index in WriterData.control of the "taken over at exit" flag. */
export const TAKEN_OVER = 0;
