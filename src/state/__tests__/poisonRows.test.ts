import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StateDatabase } from '../StateDatabase';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import type { SandboxPerfRecord } from '../../sandbox/types';
import { captureLog, countRows, sandboxIds } from './faultKit';
import { tempDir } from '../../../test/support/tempDir';

/*
 * Issue 13, "One bad row loses every row". A malformed record or details object is a TypeError at
 * stop() / StateDatabase.insert(); a row that still fails inside a batch (changed after it was
 * validated) is dropped alone and counted, and never blocks the rows queued after it.
 */

jest.setTimeout(120_000);

const CHILD = path.join(__dirname, 'fixtures', 'poisonChild.js');

let dir: string;
let logs: ReturnType<typeof captureLog>;
beforeEach(() => {
  dir = tempDir('poison');
  logs = captureLog();
});
afterEach(() => {
  logs.restore();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Malformed `details`: the 15 shapes of the issue and more, each with the field the error must name. */
const BAD_DETAILS: [label: string, details: unknown, field: string][] = [
  ['a string', 'x', 'details'],
  ['null', null, 'details'],
  ['an array', [], 'details'],
  ['backend missing', {}, 'details.backend'],
  ['backend null', { backend: null }, 'details.backend'],
  ['backend a number', { backend: 42 }, 'details.backend'],
  ['backend empty', { backend: '' }, 'details.backend'],
  ['backend with a terminal escape', { backend: '\x1b[2J\x1b]0;PWNED\x07' }, 'details.backend'],
  ['backend with a newline', { backend: 'a\nb' }, 'details.backend'],
  ['backend with a lone surrogate', { backend: 'x\ud800' }, 'details.backend'],
  ['backend of 65 characters', { backend: 'b'.repeat(65) }, 'details.backend'],
  ['phases a string', { backend: 'none', phases: 'x' }, 'details.phases'],
  ['phases an array', { backend: 'none', phases: [1, 2] }, 'details.phases'],
  ['a NaN phase', { backend: 'none', phases: { run: Number.NaN } }, 'details.phases.run'],
  ['an infinite phase', { backend: 'none', phases: { run: Number.POSITIVE_INFINITY } }, 'details.phases.run'],
  ['a negative phase', { backend: 'none', phases: { run: -1 } }, 'details.phases.run'],
  ['a string phase', { backend: 'none', phases: { run: 'fast' } }, 'details.phases.run'],
  ['a phase name with a control character', { backend: 'none', phases: { 'r\x1bun': 1 } }, 'details.phases'],
  ['cpuMs an object', { backend: 'none', cpuMs: {} }, 'details.cpuMs'],
  ['cpuMs NaN', { backend: 'none', cpuMs: Number.NaN }, 'details.cpuMs'],
  ['signal an object', { backend: 'none', signal: {} }, 'details.signal'],
  ['exitCode 1.5', { backend: 'none', exitCode: 1.5 }, 'details.exitCode'],
  ['exitCode a string', { backend: 'none', exitCode: '0' }, 'details.exitCode'],
  ['peakMemoryBytes negative', { backend: 'none', peakMemoryBytes: -1 }, 'details.peakMemoryBytes'],
  ['error a number', { backend: 'none', error: 42 }, 'details.error'],
  ['commandMs negative', { backend: 'none', commandMs: -5 }, 'details.commandMs'],
];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.each(BAD_DETAILS)('malformed details (%s)', (_label, details, field) => {
  test('stop(): a TypeError naming the field; the run stays running, nothing reaches the sink, a proper stop records it', () => {
    const handed: unknown[][] = [];
    const monitor = new SandboxPerfMonitor({ sink: { insert: (...args: unknown[]) => void handed.push(args) } });
    monitor.start('r');
    expect(() => monitor.stop('r', { outcome: 'success', details } as never)).toThrow(TypeError);
    expect(() => monitor.stop('r', { outcome: 'success', details } as never)).toThrow(
      new RegExp(`^Expected \`${escape(field)}\` to be .*, got `),
    );
    expect(monitor.getActiveRuns().map((r) => r.sandboxId)).toEqual(['r']);
    expect(monitor.getReport().count).toBe(0);
    expect(handed).toHaveLength(0);
    monitor.stop('r', { outcome: 'success', details: { backend: 'none', phases: { run: 1 } } });
    expect(handed).toHaveLength(1);
  });

  test('StateDatabase.insert(): a TypeError naming the field; nothing queued', async () => {
    const db = new StateDatabase({ path: path.join(dir, 'state.db'), handleExit: false });
    const record: SandboxPerfRecord = {
      sandboxId: 'r',
      startTime: 1_700_000_000_000,
      durationMs: 1,
      outcome: 'success',
      alertFired: false,
    };
    expect(() => db.insert('sandbox_perf_records', record, details as never)).toThrow(new RegExp(`^Expected \`${escape(field)}\` to be `));
    expect(db.health().queued).toBe(0);
    await db.close();
  });
});

const GOOD: SandboxPerfRecord = { sandboxId: 'ok', startTime: 1_700_000_000_000, durationMs: 1, outcome: 'success', alertFired: false };
const BAD_RECORDS: [label: string, record: unknown, field: string][] = [
  ['not an object', 'x', 'record'],
  ['null', null, 'record'],
  ['sandboxId missing', { ...GOOD, sandboxId: undefined }, 'record.sandboxId'],
  ['sandboxId with a right-to-left override', { ...GOOD, sandboxId: 'a\u202eb' }, 'record.sandboxId'],
  ['startTime missing', { ...GOOD, startTime: undefined }, 'record.startTime'],
  ['startTime NaN', { ...GOOD, startTime: Number.NaN }, 'record.startTime'],
  ['durationMs NaN', { ...GOOD, durationMs: Number.NaN }, 'record.durationMs'],
  ['durationMs negative', { ...GOOD, durationMs: -1 }, 'record.durationMs'],
  ['durationMs a string', { ...GOOD, durationMs: '5' }, 'record.durationMs'],
  ['a bad outcome', { ...GOOD, outcome: 'crashed' }, 'record.outcome'],
  ['alertFired missing', { ...GOOD, alertFired: undefined }, 'record.alertFired'],
];

test.each(BAD_RECORDS)(
  'StateDatabase.insert() of a malformed record (%s): a TypeError naming the field, nothing queued',
  async (_l, record, field) => {
    const db = new StateDatabase({ path: path.join(dir, 'state.db'), handleExit: false });
    expect(() => db.insert('sandbox_perf_records', record as never)).toThrow(new RegExp(`^Expected \`${escape(field)}\` to be `));
    expect(db.health().queued).toBe(0);
    await db.close();
  },
);

interface PoisonResult {
  threw: string | null;
  active: number;
  health: { written: number; rejected: number; lost: number };
}

function runChild(file: string, mode: 'at-stop' | 'mutated', exit: 'exit' | 'flush'): Promise<{ out: PoisonResult; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, file, mode, exit], { timeout: 90_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve({ out: JSON.parse(stdout) as PoisonResult, stderr });
    });
  });
}

test('1 bad + 9 900 good runs, then process.exit(): the bad details are a TypeError at stop(), the 9 900 rows are written', async () => {
  const file = path.join(dir, 'state.db');
  const { out } = await runChild(file, 'at-stop', 'exit');
  expect(out.threw).toMatch(/^TypeError: Expected `details\.phases\.run` to be a finite number >= 0, got `NaN` \(number\)$/);
  // The bad run was not recorded; it is still running, for the caller to stop properly.
  expect(out.active).toBe(1);
  expect(countRows(file)).toBe(9900);
});

test.each(['exit', 'flush'] as const)(
  '1 row made bad after validation + 9 900 good (%s): the writer drops that row alone, counts and logs it once',
  async (exit) => {
    const file = path.join(dir, 'state.db');
    const { out, stderr } = await runChild(file, 'mutated', exit);
    expect(countRows(file)).toBe(9900);
    expect(sandboxIds(file)).not.toContain('bad');
    // After process.exit() the exit hook writes the queue, after this line was printed.
    if (exit === 'flush') expect(out.health).toMatchObject({ written: 9900, rejected: 1, lost: 1 });
    const said = stderr.split('\n').filter((l) => l.includes('refused'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /dropped 1 row\(s\) that .* refused \(SQLITE_CONSTRAINT_NOTNULL: NOT NULL constraint failed: sandbox_run_phases\.duration_ms; first: "bad"\)/,
    );
  },
);
