import { OUTCOMES, type SandboxPerfRecord, type SandboxRunDetails } from '../../sandbox/types';
import { ALERT_BIT, type RecordBatch } from './RecordBatch';

/** An outcome's index in OUTCOMES (a property load, where indexOf was a call on every stop()). */
const OUTCOME_INDEX: Readonly<Record<string, number>> = Object.fromEntries(OUTCOMES.map((outcome, i) => [outcome, i]));

/** Rows per chunk: about one default batch. */
const CHUNK_ROWS = 1024;

/** A run of queued rows in columns; rows [head, tail) are queued. */
interface Chunk {
  sandboxIds: string[];
  startTimes: Float64Array;
  durations: Float64Array;
  flags: Uint8Array;
  details: (SandboxRunDetails | null)[] | null;
  head: number;
  tail: number;
}

function emptyChunk(rows: number): Chunk {
  return {
    sandboxIds: new Array<string>(rows),
    startTimes: new Float64Array(rows),
    durations: new Float64Array(rows),
    flags: new Uint8Array(rows),
    details: null,
    head: 0,
    tail: 0,
  };
}

/**
 * FIFO of records waiting to be written, kept in columns (the shape of a {@link RecordBatch}).
 *
 * Why columns: a record sits here for up to one flush interval, long enough to live through a
 * young-generation GC. Copying its fields into typed arrays lets the record object die young, so
 * persistence costs stop() a few stores instead of an object the GC must copy and promote.
 */
export class RecordQueue {
  private chunks: Chunk[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(record: SandboxPerfRecord, details: SandboxRunDetails | undefined): void {
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || chunk.tail === chunk.sandboxIds.length) {
      chunk = emptyChunk(CHUNK_ROWS);
      this.chunks.push(chunk);
    }
    const i = chunk.tail++;
    chunk.sandboxIds[i] = record.sandboxId;
    chunk.startTimes[i] = record.startTime;
    chunk.durations[i] = record.durationMs;
    chunk.flags[i] = (OUTCOME_INDEX[record.outcome] as number) | (record.alertFired ? ALERT_BIT : 0);
    if (details !== undefined) {
      chunk.details ??= new Array<SandboxRunDetails | null>(chunk.sandboxIds.length).fill(null);
      chunk.details[i] = details;
    }
    this.size++;
  }

  /** Removes and returns up to `n` of the oldest rows as one batch. */
  take(n: number): RecordBatch {
    const rows = Math.min(n, this.size);
    const batch: RecordBatch = {
      sandboxIds: new Array<string>(rows),
      startTimes: new Float64Array(rows),
      durations: new Float64Array(rows),
      flags: new Uint8Array(rows),
      details: null,
    };
    let out = 0;
    while (out < rows) {
      const chunk = this.chunks[0] as Chunk;
      const count = Math.min(rows - out, chunk.tail - chunk.head);
      const from = chunk.head;
      const to = from + count;
      batch.startTimes.set(chunk.startTimes.subarray(from, to), out);
      batch.durations.set(chunk.durations.subarray(from, to), out);
      batch.flags.set(chunk.flags.subarray(from, to), out);
      for (let i = from; i < to; i++) batch.sandboxIds[out + i - from] = chunk.sandboxIds[i] as string;
      if (chunk.details !== null) {
        for (let i = from; i < to; i++) {
          const details = chunk.details[i] ?? null;
          if (details === null) continue;
          batch.details ??= new Array<SandboxRunDetails | null>(rows).fill(null);
          batch.details[out + i - from] = details;
        }
      }
      out += count;
      this.consume(chunk, count);
    }
    return batch;
  }

  /** Puts a batch back at the front (its write failed), keeping its order. */
  unshift(batch: RecordBatch): void {
    const rows = batch.sandboxIds.length;
    if (rows === 0) return;
    this.chunks.unshift({
      sandboxIds: batch.sandboxIds,
      startTimes: batch.startTimes,
      durations: batch.durations,
      flags: batch.flags,
      details: batch.details,
      head: 0,
      tail: rows,
    });
    this.size += rows;
  }

  /** Drops the `n` oldest rows; returns how many were dropped. */
  dropOldest(n: number): number {
    const dropped = Math.min(n, this.size);
    let left = dropped;
    while (left > 0) {
      const chunk = this.chunks[0] as Chunk;
      const count = Math.min(left, chunk.tail - chunk.head);
      left -= count;
      this.consume(chunk, count);
    }
    return dropped;
  }

  /** Removes and returns everything. */
  drain(): RecordBatch {
    return this.take(this.size);
  }

  /** Marks `count` rows at the front of the first chunk taken; drops the chunk once empty. */
  private consume(chunk: Chunk, count: number): void {
    chunk.head += count;
    this.size -= count;
    // A fresh chunk rather than a reused one: a reused chunk grows old, and every id stored into an
    // old array costs a write barrier.
    if (chunk.head === chunk.tail) this.chunks.shift();
  }
}
