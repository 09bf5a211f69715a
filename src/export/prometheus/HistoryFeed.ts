// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import { readBusiestWorkloads, readMaxRunId, readRunsAfter, type StoredRun } from '../../state/read/dashboardQueries';
import type { SandboxRunDetails } from '../../sandbox/types';
import type { SandboxPerfCollector } from './SandboxPerfCollector';

const PAGE = 10_000;

/** The details the collector reads (backend, workload, overhead) from a stored run. */
function detailsOf(run: StoredRun, backend: string): SandboxRunDetails {
  const details: SandboxRunDetails = { backend };
  if (run.workload !== null) details.workload = run.workload;
  if (run.workloadLabel !== null) details.workloadLabel = run.workloadLabel;
  if (run.overheadMs !== null) details.overheadMs = run.overheadMs;
  return details;
}

/**
 * Feeds runs stored in a SQLite history (written by other processes on this host) into a
 * collector, so `sandbox-perf serve` can export them. Each poll reads only the rows added since
 * the previous one (by id), so a scrape costs O(new runs); the first poll reads the whole file,
 * which makes the counters start at the file's totals. Each run carries its backend, workload
 * and overhead, so the collector's tap ranks the file's workloads as it would live ones.
 */
export class HistoryFeed {
  private lastId = 0;
  private fed = 0;

  constructor(
    private readonly collector: SandboxPerfCollector,
    private readonly database: () => Database.Database | undefined,
  ) {}

  /** Runs fed into the collector so far. */
  get count(): number {
    return this.fed;
  }

  poll(): void {
    const db = this.database();
    if (db === undefined) return;
    // A file replaced by a new one restarts its ids: read it from the start (the counters keep growing).
    if (readMaxRunId(db) < this.lastId) this.lastId = 0;
    // Before the first read, the file's busiest workloads take the label slots (not the first N in id order).
    if (this.lastId === 0) this.collector.tap.seedWorkloads(readBusiestWorkloads(db, this.collector.tap.maxWorkloads));
    for (;;) {
      const runs = readRunsAfter(db, this.lastId, PAGE);
      for (const run of runs) {
        const record = {
          sandboxId: run.sandboxId,
          startTime: run.startTime,
          durationMs: run.durationMs,
          outcome: run.outcome,
          alertFired: run.alertFired,
        };
        if (run.backend === null) this.collector.observe(record);
        else this.collector.observe(record, detailsOf(run, run.backend));
        this.lastId = run.id;
      }
      this.fed += runs.length;
      if (runs.length < PAGE) return;
    }
  }
}
