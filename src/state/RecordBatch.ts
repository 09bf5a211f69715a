import type { SandboxOutcome, SandboxPerfRecord, SandboxRunDetails } from '../sandbox/types';

/**
 * Records in columnar form, the shape that crosses to the writer thread: typed arrays are
 * transferred rather than cloned, so handing 1 000 records over costs one string array copy.
 */
export interface RecordBatch {
  sandboxIds: string[];
  startTimes: Float64Array;
  durations: Float64Array;
  /** Bits 0-1: outcome index in OUTCOME_CODES; bit 2: alert fired. */
  flags: Uint8Array;
  /** Details per row, or null when no row in the batch has any. */
  details: (SandboxRunDetails | null)[] | null;
}

export const OUTCOME_CODES: readonly SandboxOutcome[] = ['success', 'timeout', 'error'];
const ALERT_BIT = 4;

export interface QueuedRecord {
  record: SandboxPerfRecord;
  details: SandboxRunDetails | undefined;
}

export function toBatch(items: readonly QueuedRecord[]): RecordBatch {
  const n = items.length;
  const batch: RecordBatch = {
    sandboxIds: new Array<string>(n),
    startTimes: new Float64Array(n),
    durations: new Float64Array(n),
    flags: new Uint8Array(n),
    details: null,
  };
  for (let i = 0; i < n; i++) {
    const { record, details } = items[i] as QueuedRecord;
    batch.sandboxIds[i] = record.sandboxId;
    batch.startTimes[i] = record.startTime;
    batch.durations[i] = record.durationMs;
    batch.flags[i] = OUTCOME_CODES.indexOf(record.outcome) | (record.alertFired ? ALERT_BIT : 0);
    if (details !== undefined) {
      batch.details ??= new Array<SandboxRunDetails | null>(n).fill(null);
      batch.details[i] = details;
    }
  }
  return batch;
}

export function batchLength(batch: RecordBatch): number {
  return batch.sandboxIds.length;
}

export function outcomeAt(batch: RecordBatch, i: number): SandboxOutcome {
  return OUTCOME_CODES[(batch.flags[i] as number) & 3] as SandboxOutcome;
}

export function alertAt(batch: RecordBatch, i: number): boolean {
  return ((batch.flags[i] as number) & ALERT_BIT) !== 0;
}
