import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../../../test/support/tempDir';
import { calibrationOf } from '../../../test/support/calibrationFixture';
import { calibrationById, latestCalibration, saveCalibration } from '../calibrationStore';

/*
 * Hostile trial 2026-12-07, finding 7: random bytes over a page of a history left a file that still
 * opened; predict read no calibration from it and calibrate wrote a new one into it (exit 0, the
 * damage still there). Each real SQLite file here has one page of its calibrations' table
 * overwritten; reading and writing calibrations refuse it, and the file is left as it was.
 */
const calibration = calibrationOf(['bubblewrap']);

const dir = tempDir('calibration-damaged');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A history of 30 calibrations whose calibrations table's root page is then overwritten with 0xAB. */
function damagedHistory(name: string): string {
  const file = path.join(dir, `${name}.db`);
  for (let i = 0; i < 30; i++) saveCalibration(file, calibration);
  const db = new Database(file);
  let offset: number;
  let pageSize: number;
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    pageSize = db.pragma('page_size', { simple: true }) as number;
    const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'sandbox_calibrations'").get() as { rootpage: number };
    offset = (rootpage - 1) * pageSize;
  } finally {
    db.close();
  }
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, Buffer.alloc(pageSize, 0xab), 0, pageSize, offset);
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

const digest = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const DAMAGED =
  /^Expected the history .+ to be intact, got a damaged file \(SQLite's quick_check: .+\); nothing was read from it or written to it: /;

test('an intact history reads and takes calibrations as before', () => {
  const file = path.join(dir, 'intact.db');
  const id = saveCalibration(file, calibration);
  expect(latestCalibration(file, null)?.id).toBe(id);
  expect(calibrationById(file, id, null)?.id).toBe(id);
});

test('a damaged history: no calibration is read from it (not "none stored") and none is written into it', () => {
  const file = damagedHistory('damaged');
  const before = digest(file);
  expect(() => latestCalibration(file, null)).toThrow(DAMAGED);
  expect(() => calibrationById(file, 1, null)).toThrow(DAMAGED);
  expect(() => saveCalibration(file, calibration)).toThrow(DAMAGED);
  expect(digest(file)).toBe(before);
});
