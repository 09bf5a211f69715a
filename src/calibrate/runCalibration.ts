import { createBackend } from '../runners/createBackend';
import { timedWindowOf } from '../runners/timedWindow';
import type { BackendName, SandboxBackend, SandboxOptions } from '../runners/types';
import { mulberry32, DEFAULT_SEED } from '../stats/prng';
import { CALIB_PROGRAM, makeCalibWorkdir, removeCalibWorkdir } from './calibWorkdir';
import { CLASSES, type ClassName } from './classes';
import type { CalibrationSample } from './fitCalibration';

export interface CalibrationRunOptions {
  backends: readonly BackendName[];
  /** Times each (class, size) runs on each backend, with two starts (`noop`) per round. @default 3 */
  rounds?: number;
  /** Multiplies every size (tests use small ones). @default 1 */
  scale?: number;
  /** The sandbox's options but its working directory, which calibrate makes. */
  sandbox?: Omit<SandboxOptions, 'cwd'>;
  /** After every run, for a progress bar. */
  onRun?: (backend: BackendName, done: number, total: number) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CalibrationRun {
  samples: CalibrationSample[];
  /** Wall time of the whole calibration, prepare and teardown included. */
  elapsedMs: number;
  /**
   * Where the wall time went, per backend: `prepare` (its set-up, warm-up runs and teardown) and
   * each class (or `start`) summed over its runs, a pool's refill wait included.
   */
  spentMs: Record<string, Record<string, number>>;
}

/** A run that failed: calibrate's figures would be wrong without it, so the whole calibration stops. */
export class CalibrationRunError extends Error {
  override name = 'CalibrationRunError';
}

/** A pool's background refill must not overlap the next timed run: waited for outside the timing, as compare does. */
async function settle(backend: SandboxBackend): Promise<void> {
  const pool = backend as SandboxBackend & { settled?: () => Promise<void> };
  if (typeof pool.settled === 'function') await pool.settled();
}

/** Rounds by default: three give each class's line 6 runs (4 degrees of freedom, t = 2.78). */
export const DEFAULT_ROUNDS = 3;

interface Job {
  name: ClassName | 'start';
  n: number;
}

/** Runs per backend per round: every class at both sizes, and two starts. */
export const RUNS_PER_ROUND = CLASSES.length * 2 + 2;

/** Every (class, size) of one round, in a shuffled order, so that drifting load spreads over every class. */
function roundJobs(scale: number, random: () => number): Job[] {
  const jobs: Job[] = [
    // A small scale must not merge the two sizes: the i-th is at least i + 1.
    ...CLASSES.flatMap((c) => c.sizes.map((size, i) => ({ name: c.name, n: Math.max(i + 1, Math.round(size * scale)) }))),
    { name: 'start', n: 0 },
    { name: 'start', n: 0 },
  ];
  for (let i = jobs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [jobs[i], jobs[j]] = [jobs[j] as Job, jobs[i] as Job];
  }
  return jobs;
}

async function runOnce(backend: SandboxBackend, job: Job, timeoutMs: number | undefined): Promise<CalibrationSample> {
  const started = performance.now();
  const result = await backend.run(job.name === 'start' ? [CALIB_PROGRAM, 'noop'] : [CALIB_PROGRAM, job.name, String(job.n)], {
    maxOutputBytes: 4096,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  const ended = performance.now();
  await settle(backend);
  if (result.outcome !== 'success') {
    throw new CalibrationRunError(
      `calibrate: '${job.name} ${job.n}' failed on ${backend.name}: ${result.error ?? result.outcome}${result.stderr.trim() === '' ? '' : ` (${result.stderr.trim().split('\n').pop() ?? ''})`}`,
    );
  }
  if (result.commandMs === undefined || result.commandMs === null) {
    throw new CalibrationRunError(`calibrate: ${backend.name} did not time the command (no launcher: run 'node native/build.js')`);
  }
  const window = timedWindowOf(result, started, ended);
  const durationMs = window ? window.endedAt - window.startedAt : ended - started;
  return { backend: backend.name, class: job.name, n: job.n, commandMs: result.commandMs, durationMs };
}

/**
 * Runs every workload at each of its sizes on every backend, interleaved (each job on backend A,
 * B, C, … in turn, as compare does), in a fresh working directory. One untimed warm-up per
 * backend first (the files' dentries and pages, the program's first exec).
 */
export async function runCalibration(options: CalibrationRunOptions): Promise<CalibrationRun> {
  const t0 = performance.now();
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const scale = options.scale ?? 1;
  const cwd = makeCalibWorkdir();
  const backends: SandboxBackend[] = [];
  const samples: CalibrationSample[] = [];
  const spentMs: Record<string, Record<string, number>> = {};
  const spend = (backend: string, what: string, since: number) => {
    const own = (spentMs[backend] ??= {});
    own[what] = (own[what] ?? 0) + performance.now() - since;
  };
  try {
    for (const name of options.backends) {
      options.signal?.throwIfAborted();
      const since = performance.now();
      const backend = createBackend(name, { ...options.sandbox, cwd });
      await backend.prepare();
      backends.push(backend);
      spend(name, 'prepare', since);
    }
    const random = mulberry32(DEFAULT_SEED);
    const plan = Array.from({ length: rounds }, () => roundJobs(scale, random)).flat();
    const total = plan.length * backends.length;
    for (const backend of backends) {
      const since = performance.now();
      for (const job of [
        { name: 'stat', n: 1000 },
        { name: 'read', n: 1 },
      ] satisfies Job[]) {
        await runOnce(backend, job, options.timeoutMs);
      }
      spend(backend.name, 'prepare', since);
    }
    for (const job of plan) {
      for (const backend of backends) {
        options.signal?.throwIfAborted();
        const since = performance.now();
        samples.push(await runOnce(backend, job, options.timeoutMs));
        spend(backend.name, job.name, since);
        options.onRun?.(backend.name, samples.length, total);
      }
    }
  } finally {
    for (const backend of backends) {
      const since = performance.now();
      await backend.teardown().catch(() => undefined);
      spend(backend.name, 'prepare', since);
    }
    removeCalibWorkdir(cwd);
  }
  return { samples, elapsedMs: performance.now() - t0, spentMs };
}
