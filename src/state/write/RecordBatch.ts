import { OUTCOMES, type SandboxOutcome, type SandboxRunDetails } from '../../sandbox/types';

/**
 * Records in columnar form: how RecordQueue keeps them and the shape that crosses to the writer
 * thread (typed arrays clone as one copy each; the batch stays here until written, for a retry).
 */
export interface RecordBatch {
  sandboxIds: string[];
  startTimes: Float64Array;
  durations: Float64Array;
  /** Bits 0-1: outcome index in OUTCOMES (src/sandbox/types.ts); bit 2: alert fired. */
  flags: Uint8Array;
  /** Details per row, or null when no row in the batch has any. */
  details: (SandboxRunDetails | null)[] | null;
}

/** Set in `flags` when the run fired an alert. */
export const ALERT_BIT = 4;

export function batchLength(batch: RecordBatch): number {
  return batch.sandboxIds.length;
}

export function outcomeAt(batch: RecordBatch, i: number): SandboxOutcome {
  return OUTCOMES[(batch.flags[i] as number) & 3] as SandboxOutcome;
}

export function alertAt(batch: RecordBatch, i: number): boolean {
  return ((batch.flags[i] as number) & ALERT_BIT) !== 0;
}
