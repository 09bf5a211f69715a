import { StateDatabase } from '../../../state/StateDatabase';
import type { SandboxPerfRecord, SandboxRunDetails } from '../../../sandbox/types';

/** 2024-01-01T00:00:00Z: seeded runs start one minute apart from here. */
export const SEED_T0 = Date.UTC(2024, 0, 1);
export const SEED_THRESHOLD_MS = 5000;

/**
 * 46 runs with hand-checked statistics (see dashboardQueries.test.ts):
 * none 10…200 ms (20), docker 100…2000 ms (20), bubblewrap 30, 40, 50, 6000 ms (the last a
 * timeout over the threshold), and two runs without details: 7000 ms (timeout, alert) and 3 ms (error).
 */
export function seedRuns(): { record: SandboxPerfRecord; details?: SandboxRunDetails }[] {
  const runs: { durationMs: number; outcome: SandboxPerfRecord['outcome']; backend?: string }[] = [];
  for (let i = 1; i <= 20; i++) runs.push({ durationMs: 10 * i, outcome: 'success', backend: 'none' });
  for (let i = 1; i <= 20; i++) runs.push({ durationMs: 100 * i, outcome: 'success', backend: 'docker' });
  runs.push({ durationMs: 30, outcome: 'success', backend: 'bubblewrap' });
  runs.push({ durationMs: 40, outcome: 'success', backend: 'bubblewrap' });
  runs.push({ durationMs: 50, outcome: 'success', backend: 'bubblewrap' });
  runs.push({ durationMs: 6000, outcome: 'timeout', backend: 'bubblewrap' });
  runs.push({ durationMs: 7000, outcome: 'timeout' });
  runs.push({ durationMs: 3, outcome: 'error' });
  return runs.map((run, k) => {
    const record: SandboxPerfRecord = {
      sandboxId: `sb-${k}`,
      startTime: SEED_T0 + k * 60_000,
      durationMs: run.durationMs,
      outcome: run.outcome,
      alertFired: run.durationMs > SEED_THRESHOLD_MS,
    };
    return run.backend === undefined ? { record } : { record, details: { backend: run.backend } };
  });
}

/** Writes the seeded runs through the real StateDatabase into `file`, then closes it. */
export async function seedDatabase(file: string): Promise<void> {
  const db = new StateDatabase({ path: file, handleExit: false });
  for (const { record, details } of seedRuns()) {
    if (details) db.insert('sandbox_perf_records', record, details);
    else db.insert('sandbox_perf_records', record);
  }
  await db.close();
}
