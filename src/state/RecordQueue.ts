import type { QueuedRecord } from './RecordBatch';

/**
 * FIFO of records waiting to be written. Appending is one array push; taking from the front
 * moves a head index instead of shifting, and the array is compacted only occasionally.
 */
export class RecordQueue {
  private items: QueuedRecord[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: QueuedRecord): void {
    this.items.push(item);
  }

  /** Removes and returns up to `n` of the oldest items. */
  take(n: number): QueuedRecord[] {
    const end = Math.min(this.items.length, this.head + n);
    const out = this.items.slice(this.head, end);
    this.head = end;
    this.compact();
    return out;
  }

  /** Puts items back at the front (a batch whose write failed), keeping their order. */
  unshift(items: readonly QueuedRecord[]): void {
    if (items.length <= this.head) {
      this.head -= items.length;
      for (let i = 0; i < items.length; i++) this.items[this.head + i] = items[i] as QueuedRecord;
    } else {
      this.items = items.concat(this.items.slice(this.head));
      this.head = 0;
    }
  }

  /** Drops the `n` oldest items; returns how many were dropped. */
  dropOldest(n: number): number {
    const dropped = Math.min(n, this.length);
    this.head += dropped;
    this.compact();
    return dropped;
  }

  /** Removes and returns everything. */
  drain(): QueuedRecord[] {
    return this.take(this.length);
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
