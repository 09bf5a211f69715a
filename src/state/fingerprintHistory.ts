import { createHash } from 'node:crypto';
// `import type * as`: the declarations then need no esModuleInterop in the projects that use them.
import type * as Database from 'better-sqlite3';
import { hostFingerprint, type MachineFingerprint } from '../machine/fingerprint';
import { fingerprintDifferences, fingerprintIdentity } from '../machine/noise';
import { version } from '../version';

/** The schema version that stores fingerprints (migration 6). */
export const FINGERPRINT_VERSION = 6;
/** More machine states than this in one window is a forged file, not a history: the rest are not read. */
const MAX_FINGERPRINTS = 1000;

/**
 * A stable key of a machine state: sha256 of the fields that make two runs' figures comparable
 * (fingerprintIdentity: kernel, CPU model, cores, governor, turbo, SMT, THP, cgroup version,
 * Docker, gVisor). The load average changes by the minute: kept in the JSON, not hashed.
 */
export function fingerprintHash(f: MachineFingerprint): string {
  return createHash('sha256').update(fingerprintIdentity(f)).digest('hex');
}

let processFingerprint: MachineFingerprint | undefined;

/** This process's fingerprint, read once (file reads only: no docker, no child process). */
export function writerFingerprint(): MachineFingerprint {
  processFingerprint ??= hostFingerprint(version);
  return processFingerprint;
}

/** The id of `f`'s row in `sandbox_fingerprints`, inserting it the first time this state is seen. */
export function storeFingerprint(db: Database.Database, f: MachineFingerprint, now = Date.now()): number {
  const hash = fingerprintHash(f);
  const find = db.prepare('SELECT id FROM sandbox_fingerprints WHERE hash = ?');
  // Looked up first: a machine state already stored costs no write lock when a writer opens the file.
  const found = find.get(hash) as { id: number } | undefined;
  if (found) return found.id;
  db.prepare('INSERT OR IGNORE INTO sandbox_fingerprints (hash, json, first_seen) VALUES (?, ?, ?)').run(
    hash,
    JSON.stringify(f),
    new Date(now).toISOString(),
  );
  return (find.get(hash) as { id: number }).id;
}

export interface FingerprintWindow {
  since?: number;
  until?: number;
  backend?: string;
}

export interface FingerprintRuns {
  id: number;
  /** Runs in the window tagged with this fingerprint. */
  runs: number;
  /** The stored JSON; `{}` when the row does not hold an object. */
  fingerprint: Partial<MachineFingerprint>;
}

/** The machine states of the backend runs in the window (runs before migration 6 carry none), oldest first. */
export function readFingerprints(db: Database.Database, schemaVersion: number, window: FingerprintWindow = {}): FingerprintRuns[] {
  if (schemaVersion < FINGERPRINT_VERSION) return [];
  const rows = db.prepare(`SELECT id, json FROM sandbox_fingerprints ORDER BY id LIMIT ${MAX_FINGERPRINTS}`).all() as {
    id: number;
    json: unknown;
  }[];
  // Served by sandbox_run_details_fingerprint: a range of one fingerprint's runs, filtered on backend in the index.
  const count = db.prepare(
    'SELECT count(*) AS n FROM sandbox_run_details WHERE fingerprint_id = ? AND start_time >= ? AND start_time < ?' +
      (window.backend === undefined ? '' : ' AND backend = ?'),
  );
  const out: FingerprintRuns[] = [];
  for (const row of rows) {
    const params: unknown[] = [row.id, window.since ?? Number.MIN_SAFE_INTEGER, window.until ?? Number.MAX_SAFE_INTEGER];
    if (window.backend !== undefined) params.push(window.backend);
    const runs = (count.get(...params) as { n: number }).n;
    if (runs > 0) out.push({ id: row.id, runs, fingerprint: parseFingerprint(row.json) });
  }
  return out;
}

function parseFingerprint(json: unknown): Partial<MachineFingerprint> {
  try {
    const value: unknown = typeof json === 'string' ? JSON.parse(json) : null;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

/**
 * One line when the runs behind a comparison come from more than one machine state, naming what
 * differs from the first (oldest) state; null when they share one. Values come from the file:
 * the caller escapes them for the terminal or page.
 */
export function fingerprintMixWarning(states: readonly FingerprintRuns[]): string | null {
  if (states.length < 2) return null;
  const [first, ...rest] = states as [FingerprintRuns, ...FingerprintRuns[]];
  const differences = new Set<string>();
  for (const other of rest) {
    for (const line of fingerprintDifferences(first.fingerprint as MachineFingerprint, other.fingerprint as MachineFingerprint)) {
      differences.add(line);
    }
  }
  const what = differences.size > 0 ? [...differences].join('; ') : 'the same identifying fields, stored under different hashes';
  const counts = states.map((s) => s.runs).join(' + ');
  return `these runs come from ${states.length} machine fingerprints (${counts} runs; ${what}): ratios between backends may compare machines, not sandboxes`;
}
