import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describeWhen } from '../../../test/support/e2e';
import { dockerMissing, toolMissing } from '../../../test/support/runners';
import { commandWorkload } from '../../runners/workload';
import { startCanary, type Canary } from '../startCanary';
import { SandboxPerfMonitor } from '../../sandbox/SandboxPerfMonitor';
import type { CanaryRound } from '../canaryRound';

interface CanaryRow {
  backend: string;
  workload: string;
  canary_round: number;
  start_time: number;
  duration_ms: number;
  command_ms: number | null;
  outcome: string;
}

function canaryRows(file: string): CanaryRow[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare(
        `SELECT backend, workload, canary_round, start_time, duration_ms, command_ms, outcome
           FROM sandbox_run_overhead WHERE canary_round IS NOT NULL ORDER BY start_time`,
      )
      .all() as CanaryRow[];
  } finally {
    db.close();
  }
}

function nextRounds(canary: Canary, count: number): Promise<CanaryRound[]> {
  const rounds: CanaryRound[] = [];
  return new Promise((resolve) => {
    const listener = (round: CanaryRound): void => {
      rounds.push(round);
      if (rounds.length < count) return;
      canary.off('round', listener);
      resolve(rounds);
    };
    canary.on('round', listener);
  });
}

describe('startCanary options', () => {
  test.each([
    [{ command: [] }, /Expected `command` to be a non-empty array of strings/],
    [{ command: ['true'], everyMs: 10 }, /Expected `everyMs` to be a finite number >= 1000/],
    [{ command: ['true'], runs: 0 }, /Expected `runs` to be a finite integer >= 1 and <= 1000, got `0`/],
    [{ command: ['true'], backends: ['none'] }, /Expected `backends` to be at least one backend besides `none`/],
    [{ command: ['true'], backends: ['unshare', 'unshare'] }, /Expected `backends` to be backends listed once each/],
    [{ command: ['true'], backends: ['chroot'] }, /Expected `backend` to be one of 'none'/],
    [{ command: ['true'], evry: 5 }, /did you mean `everyMs`\?/],
    [{ command: ['true'], db: 42 }, /Expected `db` to be a file path or a StateDatabase, got `42` \(number\)/],
  ])('%j is refused: %p', async (options, message) => {
    await expect(startCanary(options as never)).rejects.toThrow(message);
  });
});

describeWhen('canary rounds (real processes, real SQLite)', toolMissing('unshare'), 'apt-get install util-linux', () => {
  jest.setTimeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-canary-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('every run of each round is recorded under the command workload, stamped with its round', async () => {
    const file = path.join(dir, 'state.db');
    const lines: string[] = [];
    const canary = await startCanary({
      command: ['true'],
      backends: ['unshare'],
      everyMs: 1000,
      runs: 2,
      warmup: 0,
      sandbox: { cwd: dir },
      db: file,
      onLine: (line) => lines.push(line),
    });
    const rounds = await nextRounds(canary, 2);
    await canary.stop();

    expect(canary.backends).toEqual(['none', 'unshare']);
    for (const round of rounds) {
      expect(round.error).toBeNull();
      expect(round.backends.map((b) => b.backend)).toEqual(['unshare']);
      expect(round.backends[0]?.ratio).toBeGreaterThan(0);
      expect(round.cpu.totalMs).toBeGreaterThan(0);
      expect(round.cpu.totalMs).toBeCloseTo(round.cpu.processMs + round.cpu.childrenMs + round.cpu.containersMs, 6);
    }
    expect(canary.stats).toMatchObject({ rounds: 2, failed: 0 });
    expect(canary.latest).toBe(rounds[1]);
    // (On a busy machine a round may outlast the second: skip lines come first then.)
    expect(lines.find((l) => l.startsWith('canary: round 1,'))).toMatch(
      /^canary: round 1, 2 runs × 2 backends, [\d.]+ m?s wall, [\d.]+ m?s CPU, next in \d+ s · unshare [\d.]+×/,
    );

    const rows = canaryRows(file);
    const workload = commandWorkload(['true'], dir).key;
    const byRound = new Map<number, CanaryRow[]>();
    for (const row of rows) byRound.set(row.canary_round, [...(byRound.get(row.canary_round) ?? []), row]);
    expect([...byRound.keys()]).toEqual(rounds.map((r) => r.startedAt));
    for (const runs of byRound.values()) {
      expect(runs.map((r) => r.backend).sort()).toEqual(['none', 'none', 'unshare', 'unshare']);
      expect(runs.every((r) => r.workload === workload && r.outcome === 'success')).toBe(true);
    }
  });

  test('a round still running when the next is due is skipped and counted: rounds never overlap', async () => {
    const file = path.join(dir, 'state.db');
    const canary = await startCanary({
      command: ['sleep', '0.7'],
      backends: ['unshare'],
      everyMs: 1000,
      runs: 1,
      warmup: 0,
      sandbox: { cwd: dir },
      db: file,
      onLine: () => undefined,
    });
    // Each round runs sleep 0.7 twice (none, unshare): longer than the 1 s between due times.
    await nextRounds(canary, 2);
    await canary.stop();
    expect(canary.stats.skipped).toBeGreaterThanOrEqual(1);

    const rows = canaryRows(file);
    const spans = [...new Set(rows.map((r) => r.canary_round))].map((round) => {
      const runs = rows.filter((r) => r.canary_round === round);
      return { first: Math.min(...runs.map((r) => r.start_time)), last: Math.max(...runs.map((r) => r.start_time + r.duration_ms)) };
    });
    expect(spans.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < spans.length; i++) expect(spans[i]?.first).toBeGreaterThanOrEqual(spans[i - 1]?.last as number);
  });

  test('stop() in the middle of a round: no further run starts, the round is not reported, nothing is left running', async () => {
    const file = path.join(dir, 'state.db');
    const marker = path.join(dir, 'started');
    const canary = await startCanary({
      command: ['sh', '-c', `echo x >> ${marker}; sleep 0.3`],
      backends: ['unshare'],
      everyMs: 60_000,
      runs: 5,
      warmup: 0,
      sandbox: { cwd: dir },
      db: file,
      onLine: () => undefined,
    });
    while (!fs.existsSync(marker)) await new Promise((resolve) => setTimeout(resolve, 20));
    await canary.stop();
    const started = fs.readFileSync(marker, 'utf8').trim().split('\n').length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fs.readFileSync(marker, 'utf8').trim().split('\n')).toHaveLength(started);
    expect(started).toBeLessThan(10);
    expect(canary.latest).toBeNull();
    expect(canary.nextAt).toBeNull();
  });
});

describeWhen('canary backends are checked at start', dockerMissing(), 'sh .ci/docker-up.sh', () => {
  test('a backend that cannot run here is refused before any round, naming why', async () => {
    const start = startCanary({
      command: ['true'],
      backends: ['docker'],
      sandbox: { image: 'sandbox-perf/no-such-image:none' },
      monitor: new SandboxPerfMonitor({ sink: false }),
    });
    await expect(start).rejects.toThrow(/^Expected `backends` to be backends available here, got `"docker: .*no-such-image/);
  });
});
