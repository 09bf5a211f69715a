import type { SandboxPerfRecord, SandboxRunDetails } from '../../../sandbox/types';
import { alertAt, outcomeAt, type RecordBatch } from '../RecordBatch';
import { RecordQueue } from '../RecordQueue';

const OUTCOMES = ['success', 'timeout', 'error'] as const;

function record(i: number): SandboxPerfRecord {
  return {
    sandboxId: `run-${i}`,
    startTime: 1_700_000_000_000 + i,
    durationMs: i / 4,
    outcome: OUTCOMES[i % 3] ?? 'success',
    alertFired: i % 5 === 0,
  };
}

function details(i: number): SandboxRunDetails | undefined {
  return i % 1000 === 7 ? { backend: 'none', exitCode: i % 2, phases: { run: i } } : undefined;
}

/** The batch's rows back as records, with their details, to compare with what was pushed. */
function rows(batch: RecordBatch): [SandboxPerfRecord, SandboxRunDetails | undefined][] {
  return batch.sandboxIds.map((sandboxId, i) => [
    {
      sandboxId,
      startTime: batch.startTimes[i] as number,
      durationMs: batch.durations[i] as number,
      outcome: outcomeAt(batch, i),
      alertFired: alertAt(batch, i),
    },
    batch.details?.[i] ?? undefined,
  ]);
}

function expected(from: number, to: number): [SandboxPerfRecord, SandboxRunDetails | undefined][] {
  return Array.from({ length: to - from }, (_, k) => [record(from + k), details(from + k)]);
}

describe('RecordQueue', () => {
  it('gives rows back in order, in batches that span chunks, with their details', () => {
    const queue = new RecordQueue();
    for (let i = 0; i < 5000; i++) queue.push(record(i), details(i));
    expect(queue.length).toBe(5000);
    expect(rows(queue.take(1500))).toEqual(expected(0, 1500));
    expect(rows(queue.take(3000))).toEqual(expected(1500, 4500));
    expect(queue.length).toBe(500);
    const rest = queue.drain();
    expect(rows(rest)).toEqual(expected(4500, 5000));
    expect(queue.length).toBe(0);
    expect(queue.take(10).sandboxIds).toEqual([]);
  });

  it('a batch without details carries details: null', () => {
    const queue = new RecordQueue();
    for (let i = 1; i < 5; i++) queue.push(record(i), undefined);
    expect(queue.take(10).details).toBeNull();
  });

  it('puts a failed batch back at the front, before rows queued since', () => {
    const queue = new RecordQueue();
    for (let i = 0; i < 2000; i++) queue.push(record(i), details(i));
    const failed = queue.take(1200);
    for (let i = 2000; i < 2100; i++) queue.push(record(i), details(i));
    queue.unshift(failed);
    queue.unshift(queue.take(0));
    expect(queue.length).toBe(2100);
    expect(rows(queue.drain())).toEqual(expected(0, 2100));
  });

  it('drops the oldest rows, across chunks, and counts only what it had', () => {
    const queue = new RecordQueue();
    for (let i = 0; i < 3000; i++) queue.push(record(i), details(i));
    expect(queue.dropOldest(2500)).toBe(2500);
    expect(rows(queue.take(100))).toEqual(expected(2500, 2600));
    expect(queue.dropOldest(1000)).toBe(400);
    expect(queue.length).toBe(0);
    queue.push(record(9), undefined);
    expect(rows(queue.drain())).toEqual(expected(9, 10));
  });
});
