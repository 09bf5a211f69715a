import { execFileSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { setLogSink } from '../../log';
import type { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import type { StateDatabase } from '../StateDatabase';

/*
 * Shared by the fault tests: real mounts, real second connections (temporary folders: test/support/tempDir.ts).
 * Nothing here mocks SQLite or the file system.
 */

/** Collects the library's log lines for the duration of a test. */
export function captureLog(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const restore = setLogSink((line) => lines.push(line));
  return { lines, restore };
}

/** Log lines reporting a fault (not its recovery) that name the file and the code. */
export function linesAbout(lines: readonly string[], file: string, code: string): string[] {
  return lines.filter((line) => line.includes(file) && line.includes(code) && !line.includes('writable again'));
}

/** Rows in the file, read by an independent read-write connection (so that a WAL left by a killed writer is recovered). */
export function countRows(file: string): number {
  const db = new Database(file, { fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM sandbox_perf_records').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export function sandboxIds(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT sandbox_id FROM sandbox_perf_records ORDER BY id').all() as { sandbox_id: string }[]).map(
      (r) => r.sandbox_id,
    );
  } finally {
    db.close();
  }
}

/** Times `n` runs through the monitor, as a runner would; ids are `${tag}-${i}`. */
export function recordRuns(monitor: SandboxPerfMonitor, n: number, tag: string): void {
  for (let i = 0; i < n; i++) {
    const id = `${tag}-${i}`;
    monitor.start(id);
    monitor.stop(id, { outcome: i % 7 === 0 ? 'error' : 'success' });
  }
}

/** Polls until the condition holds; the test's own timeout bounds the wait. */
export async function until(condition: () => boolean, pollMs = 10): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, pollMs));
}

/** Waits for the database to report a failed write. */
export function untilFailing(db: StateDatabase): Promise<void> {
  return until(() => db.health().lastError !== null && db.health().state === 'retrying');
}

/** Runs mount(8); false (with the reason) when this environment does not permit it. */
export function tryMount(args: readonly string[]): { ok: true } | { ok: false; reason: string } {
  try {
    execFileSync('mount', args, { stdio: 'pipe' });
    return { ok: true };
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { ok: false, reason: stderr || String(error) };
  }
}

export function unmount(target: string): void {
  try {
    execFileSync('umount', [target], { stdio: 'pipe' });
  } catch {
    // Still busy (a handle not yet closed): detach it now, the kernel finishes when it is released.
    execFileSync('umount', ['-l', target], { stdio: 'pipe' });
  }
}

/** Says why a test that needs mount(8) is skipped; jest has no runtime skip, so it passes with a note. */
export function skipNote(test: string, reason: string): void {
  process.stderr.write(`SKIPPED ${test}: mount is not permitted here (${reason})\n`);
}
