import { EventEmitter } from 'node:events';

/*
 * The spec's monitor written literally, kept here only as the contender "what a literal
 * implementation costs": a long-lived Map of Date.now() starts, every record kept in an array that
 * grows forever, and a sort of all durations on each report. It leaves out the spec's
 * StateDatabase.insert call, which only makes it cheaper than the real thing would be: the ratios
 * against it are therefore conservative.
 */

export interface SeedRecord {
  sandboxId: string;
  startTime: number;
  durationMs: number;
  outcome: 'success' | 'timeout' | 'error';
  alertFired: boolean;
}

export interface SeedReport {
  count: number;
  meanMs: number;
  maxMs: number;
  p95Ms: number;
  alertCount: number;
}

export class SeedLiteralMonitor extends EventEmitter {
  private activeRecords = new Map<string, number>();
  private completedRecords: SeedRecord[] = [];
  private readonly alertThresholdMs: number;

  constructor(options: { alertThresholdMs?: number } = {}) {
    super();
    this.alertThresholdMs = options.alertThresholdMs ?? 5000;
  }

  start(sandboxId: string): void {
    this.activeRecords.set(sandboxId, Date.now());
  }

  stop(sandboxId: string, meta: { outcome: SeedRecord['outcome'] }): SeedRecord {
    const startTime = this.activeRecords.get(sandboxId);
    if (startTime === undefined) throw new Error(`Sandbox ${sandboxId} is not running`);
    const durationMs = Date.now() - startTime;
    const alertFired = durationMs > this.alertThresholdMs;
    if (alertFired) this.emit('overhead-alert', { sandboxId, durationMs });
    this.activeRecords.delete(sandboxId);
    const record: SeedRecord = { sandboxId, startTime, durationMs, outcome: meta.outcome, alertFired };
    this.completedRecords.push(record);
    return record;
  }

  getReport(): SeedReport {
    const count = this.completedRecords.length;
    if (count === 0) return { count: 0, meanMs: 0, maxMs: 0, p95Ms: 0, alertCount: 0 };
    const durations = this.completedRecords.map((r) => r.durationMs).sort((a, b) => a - b);
    const sum = durations.reduce((s, d) => s + d, 0);
    return {
      count,
      meanMs: sum / count,
      maxMs: durations[count - 1] as number,
      p95Ms: durations[Math.ceil(0.95 * count) - 1] as number,
      alertCount: this.completedRecords.filter((r) => r.alertFired).length,
    };
  }
}
