import Database from 'better-sqlite3';
import type { Calibration } from '../calibrate/calibration';
import type { MachineFingerprint } from '../machine/fingerprint';
import { fingerprintDifferences } from '../machine/noise';
import { parseCalibrationJson } from './calibrationJson';
import { storeFingerprint, fingerprintHash } from './fingerprintHistory';
import { assertOwnDatabasePath } from './ownership';
import { assertReadableVersion } from './schema';
import { assertIntactHistory } from './intactHistory';
import { SqliteStore } from './write/SqliteStore';

/** The schema version that stores calibrations (migration 8). */
export const CALIBRATION_VERSION = 8;

/**
 * Writes a calibration into the history at `file` (created and migrated as the writer would:
 * SqliteStore refuses a file that is not a sandbox-perf history), with its machine's fingerprint.
 * Returns its id.
 */
export function saveCalibration(file: string, calibration: Calibration): number {
  const store = new SqliteStore(file, { busyTimeoutMs: 5000 });
  store.connect();
  store.close();
  const db = new Database(file, { timeout: 5000 });
  try {
    assertIntactHistory(db, file);
    db.pragma('foreign_keys = ON');
    return db
      .transaction(() => {
        const fingerprintId = calibration.fingerprint === null ? null : storeFingerprint(db, calibration.fingerprint);
        const id = Number(
          db
            .prepare('INSERT INTO sandbox_calibrations (created_at, fingerprint_id, json) VALUES (?, ?, ?)')
            .run(calibration.createdAt, fingerprintId, JSON.stringify(calibration)).lastInsertRowid,
        );
        const insert = db.prepare(
          'INSERT INTO sandbox_calibration_costs (calibration_id, backend, class, ms_per_op, low, high, delta_ms_per_op, delta_low, delta_high) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        );
        for (const backend of calibration.fit.backends) {
          for (const cost of backend.costs) {
            const d = cost.deltaMsPerOp;
            insert.run(
              id,
              backend.backend,
              cost.class,
              cost.msPerOp.estimate,
              cost.msPerOp.low,
              cost.msPerOp.high,
              d?.estimate ?? null,
              d?.low ?? null,
              d?.high ?? null,
            );
          }
        }
        return id;
      })
      .immediate();
  } finally {
    db.close();
  }
}

export interface StoredCalibration {
  id: number;
  calibration: Calibration;
  /** What differs between the machine it ran on and `current` (empty: the same machine state). */
  machineDifferences: string[];
}

/**
 * The newest calibration that covers every backend of `needs`: made on this machine state (the
 * fingerprint's hash), else on any, with what differs; when none covers them all, the newest of
 * this machine state, else of any (the caller says what it lacks); null when the history holds
 * none (or does not exist). Covering first: `predict --check --recalibrate` stores a calibration
 * of the backends it checked only, which must not hide an older one of the others.
 */
export function latestCalibration(
  file: string,
  current: MachineFingerprint | null,
  needs: readonly string[] = [],
): StoredCalibration | null {
  const found = assertOwnDatabasePath(file);
  if (found.kind === 'missing' || found.kind === 'empty') return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    assertIntactHistory(db, file);
    if (assertReadableVersion(db, file) < CALIBRATION_VERSION) return null;
    // One pass, newest first, stopping at the first calibration of this machine state that covers
    // `needs` (usually the newest row); else the newest of any state that covers them; else the
    // newest of this state, else the newest at all (the caller then names what it lacks).
    const hash = current === null ? null : fingerprintHash(current);
    const rows = db.prepare(`${SELECT_CALIBRATIONS} ORDER BY c.id DESC`).iterate() as Iterable<CalibrationRow>;
    let found: { row: CalibrationRow; calibration: Calibration } | undefined;
    let anyCovering: typeof found;
    let newestSame: typeof found;
    let newest: typeof found;
    for (const row of rows) {
      const entry = { row, calibration: parseCalibrationJson(row.id, row.json) };
      const same = hash !== null && row.hash === hash;
      const covers = needs.every((name) => entry.calibration.fit.backends.some((b) => b.backend === name));
      newest ??= entry;
      if (same) newestSame ??= entry;
      if (covers) anyCovering ??= entry;
      if (same && covers) {
        found = entry;
        break;
      }
    }
    const chosen = found ?? anyCovering ?? newestSame ?? newest;
    return chosen === undefined ? null : storedFrom(chosen.row, chosen.calibration, current);
  } finally {
    db.close();
  }
}

interface CalibrationRow {
  id: number;
  json: string;
  hash: string | null;
}

const SELECT_CALIBRATIONS =
  'SELECT c.id, c.json, f.hash FROM sandbox_calibrations c LEFT JOIN sandbox_fingerprints f ON f.id = c.fingerprint_id';

function storedFrom(row: CalibrationRow, calibration: Calibration, current: MachineFingerprint | null): StoredCalibration {
  const same = current !== null && row.hash === fingerprintHash(current);
  const differences =
    same || current === null || calibration.fingerprint === null ? [] : fingerprintDifferences(calibration.fingerprint, current);
  return { id: row.id, calibration, machineDifferences: differences };
}

/**
 * Calibration `id` of the history at `file` (`predict --calibration ID`: several predictions from
 * one calibration while others are stored meanwhile), with what differs from `current`; null when
 * the history holds no such row (or does not exist).
 */
export function calibrationById(file: string, id: number, current: MachineFingerprint | null): StoredCalibration | null {
  const found = assertOwnDatabasePath(file);
  if (found.kind === 'missing' || found.kind === 'empty') return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    assertIntactHistory(db, file);
    if (assertReadableVersion(db, file) < CALIBRATION_VERSION) return null;
    const row = db.prepare(`${SELECT_CALIBRATIONS} WHERE c.id = ?`).get(id) as CalibrationRow | undefined;
    return row === undefined ? null : storedFrom(row, parseCalibrationJson(row.id, row.json), current);
  } finally {
    db.close();
  }
}
