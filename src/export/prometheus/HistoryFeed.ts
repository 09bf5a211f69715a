// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import { readMaxRunId, readRunsAfter } from '../../state/read/dashboardQueries';
import type { SandboxPerfCollector } from './SandboxPerfCollector';

const PAGE = 10_000;

/**
 * Feeds runs stored in a SQLite history (written by other processes on this host) into a
 * collector, so `sandbox-perf serve` can export them. Each poll reads only the rows added since
 * the previous one (by id), so a scrape costs O(new runs); the first poll reads the whole file,
 * which makes the counters start at the file's totals.
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
        else this.collector.observe(record, { backend: run.backend });
        this.lastId = run.id;
      }
      this.fed += runs.length;
      if (runs.length < PAGE) return;
    }
  }
}
