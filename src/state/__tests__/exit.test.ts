import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { countRows, sandboxIds } from './faultKit';
import { tempDir } from '../../../test/support/tempDir';

/*
 * process.exit() called by the runner while the writer thread has a batch in flight: the exit
 * hook writes that batch and the rest of the queue on the main thread, unless the writer thread
 * committed the batch first. Every row must be in the file exactly once, whichever came first.
 */

jest.setTimeout(60_000);

const CHILD = path.join(__dirname, 'fixtures', 'exitingChild.js');

let dir: string;
beforeEach(() => {
  dir = tempDir('exit');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function runChild(
  file: string,
  runs: number,
  waitMs: number,
): Promise<{ recorded: number; written: number; state: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, file, String(runs), String(waitMs)], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${error.message}\n${stderr}`));
        return;
      }
      resolve({ ...(JSON.parse(stdout) as { recorded: number; written: number; state: string }), stderr });
    });
  });
}

/** Runs in the file, and how many distinct ones: equal when nothing was written twice. */
function rows(file: string): { total: number; uniq: number } {
  return { total: countRows(file), uniq: new Set(sandboxIds(file)).size };
}

// 15 000 runs fit in one batch (the queue is empty while it is in flight); 45 000 leave rows queued
// behind it. -1: exit in the same tick the batch was posted (the writer has not begun it); 0 to 20
// ms later: the writer is inside its transaction or has just committed it.
const CASES = [15_000, 45_000].flatMap((runs) => [-1, 0, 5, 20].map((waitMs) => [runs, waitMs] as const));

test.each(CASES)(
  'process.exit() with %d runs recorded, %d ms after a batch was posted: every row written exactly once',
  async (runs, waitMs) => {
    const file = path.join(dir, 'state.db');
    const child = await runChild(file, runs, waitMs);
    expect(child.stderr).toBe('');
    expect(child.state).toBe('writing');
    expect(rows(file)).toEqual({ total: runs, uniq: runs });
  },
);
