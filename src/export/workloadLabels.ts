import { assertNumberInRange } from '../validation';
import { OTHER_BACKEND, sanitizeLabelValue, type BackendLabelOptions } from './labels';

/** @see WorkloadLabels */
export const DEFAULT_MAX_WORKLOADS = 20;
/** @see WorkloadLabelOptions.workloadHalfLifeMs */
export const DEFAULT_WORKLOAD_HALF_LIFE_MS = 600_000;
/** @see WorkloadLabelOptions.workloadRebalanceMs */
export const DEFAULT_WORKLOAD_REBALANCE_MS = 60_000;

export interface WorkloadLabelOptions extends Pick<BackendLabelOptions, 'maxLabelLength'> {
  /**
   * Workload label values exported: the busiest `maxWorkloads` workloads keep their own,
   * every other workload is `other` (runs that name none carry no workload label).
   * @default 20
   */
  maxWorkloads?: number;
  /** Half-life of the run counts that rank workloads, ms: runs older than a few half-lives hardly count. @default 600000 (10 min) */
  workloadHalfLifeMs?: number;
  /** How often the ranking is revisited, ms (checked as runs arrive; nothing runs while idle). @default 60000 */
  workloadRebalanceMs?: number;
}

/** One exported workload: its label value (the key) and the readable label it was recorded with. */
export interface ExportedWorkload {
  workload: string;
  label: string;
}

/** A newcomer replaces the quietest exported workload only when it is this many times busier (no flapping). */
const HYSTERESIS = 2;

/**
 * Bounded workload label values for the exporters, keyed by the workload key (`details.workload`).
 *
 * Until `maxWorkloads` are exported, every new workload is admitted as it first appears. After
 * that a newcomer is `other` until a rebalance finds it more than twice as busy as the quietest
 * exported one, by run counts that halve every `workloadHalfLifeMs` (a sliding window without
 * keeping the runs). Candidates are bounded too (4 × maxWorkloads, at least 64), so 10 000
 * distinct workloads cost a few kilobytes.
 *
 * Counters never go backwards inside a series: a demoted workload's series keep their values and
 * only its later runs count under `other`; one rebalance later (after the scrapes in between saw
 * its last increments) `onRetire` tells the exporter to drop those series. If the workload comes
 * back it starts again from 0, which Prometheus reads as a counter reset: `rate()` and `increase()`
 * stay right, a raw `sum()` of counters across workloads can step down (use `rate`).
 *
 * The recording path is two Map lookups and a counter increment; sorting happens once per rebalance.
 */
export class WorkloadLabels {
  readonly maxWorkloads: number;
  readonly maxLabelLength: number;
  readonly halfLifeMs: number;
  readonly rebalanceMs: number;
  /** Raw key → exported workload, for the admitted ones only. */
  private readonly admitted = new Map<string, ExportedWorkload>();
  /** Raw key → decayed run count and readable label, for at most `capacity` candidates (admitted ones included). */
  private readonly counts = new Map<string, { n: number; readable: string | undefined }>();
  /** Demoted at the last rebalance: their series are retired at the next. */
  private retiring: string[] = [];
  private readonly capacity: number;
  private lastRebalance: number | undefined;
  private folded = 0;

  constructor(
    options: WorkloadLabelOptions = {},
    private readonly onRetire: (workload: string) => void = () => undefined,
  ) {
    const {
      maxWorkloads = DEFAULT_MAX_WORKLOADS,
      maxLabelLength = 64,
      workloadHalfLifeMs = DEFAULT_WORKLOAD_HALF_LIFE_MS,
      workloadRebalanceMs = DEFAULT_WORKLOAD_REBALANCE_MS,
    } = options;
    assertNumberInRange('maxWorkloads', maxWorkloads, 0, 10_000, true);
    assertNumberInRange('maxLabelLength', maxLabelLength, 8, 1024, true);
    assertNumberInRange('workloadHalfLifeMs', workloadHalfLifeMs, 1000, 30 * 86_400_000);
    assertNumberInRange('workloadRebalanceMs', workloadRebalanceMs, 100, 86_400_000);
    this.maxWorkloads = maxWorkloads;
    this.maxLabelLength = maxLabelLength;
    this.halfLifeMs = workloadHalfLifeMs;
    this.rebalanceMs = workloadRebalanceMs;
    this.capacity = Math.max(64, 4 * maxWorkloads);
  }

  /**
   * The label value for a run of workload `key` (`other` past the bound; undefined for a run that
   * names none: it carries no workload label), counting the run for the ranking. `now` is a
   * monotonic time in ms (performance.now()).
   */
  label(key: string | undefined, readable: string | undefined, now: number): string | undefined {
    if (key === undefined || key.length === 0) return undefined;
    if (this.lastRebalance === undefined) this.lastRebalance = now;
    else if (now - this.lastRebalance >= this.rebalanceMs) this.rebalance(now);
    const counted = this.counts.get(key);
    if (counted !== undefined) counted.n++;
    else if (this.counts.size < this.capacity) this.counts.set(key, { n: 1, readable });
    const hit = this.admitted.get(key);
    if (hit !== undefined) return hit.workload;
    if (this.admitted.size < this.maxWorkloads) return this.admit(key, readable).workload;
    this.folded++;
    return OTHER_BACKEND;
  }

  /**
   * Ranks known workloads before any run is labelled (`serve` passes the busiest of its history
   * file, so they get their own series from the first scrape rather than first come). Ignored once
   * a workload has been admitted.
   */
  seed(workloads: readonly { workload: string; label: string; runs: number }[]): void {
    if (this.admitted.size > 0) return;
    for (const w of workloads.slice(0, this.capacity)) {
      if (this.counts.size >= this.capacity) break;
      this.counts.set(w.workload, { n: 0, readable: w.label });
      if (this.admitted.size < this.maxWorkloads) this.admit(w.workload, w.label);
    }
  }

  /** The workloads exported now, each with its readable label (for an info metric). */
  exported(): IterableIterator<ExportedWorkload> {
    return this.admitted.values();
  }

  /** Runs counted under `other` so far. */
  get foldedCount(): number {
    return this.folded;
  }

  /** Decays the counts, retires what was demoted last time, and lets much busier newcomers in. */
  rebalance(now: number): void {
    const factor = 0.5 ** ((now - (this.lastRebalance ?? now)) / this.halfLifeMs);
    this.lastRebalance = now;
    for (const key of this.retiring) {
      if (!this.admitted.has(key)) this.onRetire(this.labelOf(key));
    }
    this.retiring = [];
    for (const [key, counted] of this.counts) {
      counted.n *= factor;
      // A candidate that has faded makes room for newcomers; exported workloads stay ranked.
      if (counted.n < 0.5 && !this.admitted.has(key)) this.counts.delete(key);
    }
    const ranked = [...this.counts].sort((a, b) => b[1].n - a[1].n);
    // Half the candidate slots stay free for newcomers until the next rebalance.
    for (const [key] of ranked.slice(this.capacity / 2)) if (!this.admitted.has(key)) this.counts.delete(key);
    if (this.admitted.size < this.maxWorkloads) return;
    for (const [key, counted] of ranked) {
      if (this.admitted.has(key) || !this.counts.has(key)) continue;
      const quietest = this.quietest();
      if (quietest === undefined || counted.n <= HYSTERESIS * quietest[1]) break;
      this.admitted.delete(quietest[0]);
      this.retiring.push(quietest[0]);
      this.admit(key, counted.readable);
    }
  }

  private quietest(): [string, number] | undefined {
    let found: [string, number] | undefined;
    for (const key of this.admitted.keys()) {
      const count = this.counts.get(key)?.n ?? 0;
      if (found === undefined || count < found[1]) found = [key, count];
    }
    return found;
  }

  private labelOf(key: string): string {
    return sanitizeLabelValue(key, this.maxLabelLength);
  }

  private admit(key: string, readable: string | undefined): ExportedWorkload {
    const entry = { workload: this.labelOf(key), label: sanitizeLabelValue(readable ?? key, this.maxLabelLength) };
    this.admitted.set(key, entry);
    return entry;
  }
}
