/**
 * The runs in flight: sandboxId → monotonic start time.
 *
 * Why not a plain `Map<string, number>` with `delete` on stop: a runner's monitor lives long, so its
 * Map ends up in V8's old generation, and set/delete churn on an old Map cost about twice as much
 * per start/stop pair as on a young one (measured: 280-330 ns against 150 ns; see docs/benchmarks.md).
 * Here a stop only clears a flag in a typed array; the Map keeps the id → slot entry, so an id that
 * comes back reuses its slot without touching the Map, and start times sit in a Float64Array instead
 * of boxed numbers. Finished entries are dropped in one pass, by rebuilding the Map, once every slot
 * has been handed out: at most four slots per run in flight (at least {@link MIN_SLOTS}), so memory
 * stays bounded and the rebuild costs O(1) amortized per start.
 */
const MIN_SLOTS = 1024;

export class ActiveRuns {
  private slotOf = new Map<string, number>();
  private starts = new Float64Array(MIN_SLOTS);
  private active = new Uint8Array(MIN_SLOTS);
  /** Next never-used slot; slots below it belong to an id in `slotOf`. */
  private next = 0;
  private live = 0;

  /** Number of runs in flight. */
  get size(): number {
    return this.live;
  }

  /** Records the start; false (and nothing changed) when the id is already running. */
  begin(sandboxId: string, startMs: number): boolean {
    let slot = this.slotOf.get(sandboxId);
    if (slot === undefined) {
      if (this.next === this.starts.length) this.compact();
      slot = this.next++;
      this.slotOf.set(sandboxId, slot);
    } else if (this.active[slot] === 1) {
      return false;
    }
    this.active[slot] = 1;
    this.starts[slot] = startMs;
    this.live++;
    return true;
  }

  /** The start of a running id, which stops being running; undefined when it was not running. */
  end(sandboxId: string): number | undefined {
    const slot = this.slotOf.get(sandboxId);
    if (slot === undefined || this.active[slot] === 0) return undefined;
    this.active[slot] = 0;
    this.live--;
    return this.starts[slot];
  }

  /** The start of a running id without ending it. */
  startOf(sandboxId: string): number | undefined {
    const slot = this.slotOf.get(sandboxId);
    return slot === undefined || this.active[slot] === 0 ? undefined : this.starts[slot];
  }

  /** [sandboxId, start] of every run in flight, in the order they were first seen. */
  *entries(): IterableIterator<[string, number]> {
    for (const [sandboxId, slot] of this.slotOf) {
      if (this.active[slot] === 1) yield [sandboxId, this.starts[slot] as number];
    }
  }

  /** Keeps only the running ids, in fresh storage sized for four times as many. */
  private compact(): void {
    const capacity = Math.max(MIN_SLOTS, this.live * 4);
    const slotOf = new Map<string, number>();
    const starts = new Float64Array(capacity);
    const active = new Uint8Array(capacity);
    let next = 0;
    for (const [sandboxId, slot] of this.slotOf) {
      if (this.active[slot] === 0) continue;
      starts[next] = this.starts[slot] as number;
      active[next] = 1;
      slotOf.set(sandboxId, next++);
    }
    this.slotOf = slotOf;
    this.starts = starts;
    this.active = active;
    this.next = next;
  }
}
