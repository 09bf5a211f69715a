import type { SandboxPerfRecord, SandboxRunDetails } from '../../src/sandbox/types';
import { RecordQueue } from '../../src/state/write/RecordQueue';
import { SqliteStore } from '../../src/state/write/SqliteStore';

/** A run as tests describe it: the record, and the backend's details when it has any. */
export interface StoredRunInput {
  record: SandboxPerfRecord;
  details?: SandboxRunDetails;
}

/**
 * Writes runs synchronously, in one transaction, through the writer's own path (RecordQueue's
 * batch into SqliteStore): exact times and durations, no writer thread, no waiting.
 */
export function storeRuns(file: string, runs: readonly StoredRunInput[]): void {
  const queue = new RecordQueue();
  for (const { record, details } of runs) queue.push(record, details);
  const store = new SqliteStore(file, { busyTimeoutMs: 1000 });
  try {
    store.write(queue.drain());
  } finally {
    store.close();
  }
}
