import { createBackend } from '../runners/createBackend';
import { timedWindowOf } from '../runners/timedWindow';
import type { BackendName, SandboxBackend, SandboxOptions } from '../runners/types';
import { mulberry32, DEFAULT_SEED } from '../stats/prng';
import { balancedOrder } from '../stats/balancedOrder';
import { CALIB_PROGRAM, emptyLeftDir, makeCalibWorkdir, removeCalibWorkdir } from './calibWorkdir';
import { CLASSES, type ClassName } from './classes';
import type { CalibrationSample } from './fitCalibration';

export interface CalibrationRunOptions {
  backends: readonly BackendName[];
  /** Times each (class, size) runs on each backend, with two starts (`noop`) per round. @default 5 */
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
   * Where the wall time went, per backend: `prepare` (its set-up, warm-up run and teardown),
   * `batch` (the runs of every class), `start` (a pool's refill wait included) and `leave`.
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

/**
 * Rounds by default: five give each class's line 10 points (8 degrees of freedom, t = 2.31): its
 * interval 0.64 times three rounds' (6 points, t = 2.78). A round costs a backend three runs since
 * they are batched, and at load 6-15 the calibration's own noise moved gVisor's predicted cost of
 * a real build by more than the ±15 % it is checked against.
 */
export const DEFAULT_ROUNDS = 5;

interface Phase {
  name: ClassName;
  n: number;
}

type Job = { name: 'start' } | { name: 'batch'; phases: Phase[] } | { name: 'leave'; n: number };

/** Runs per backend per round: one run of every class at both sizes (`batch`), two starts and one `leave`. */
export const RUNS_PER_ROUND = 4;

/**
 * Files a `leave` run writes (2 KiB each) and leaves, times --scale. Docker pays ~11 µs a file
 * around the command (fitCalibration.ts): 2 000 make ~22 ms, against a spread of its time around
 * the command of 5-15 ms a run here. Writing them takes ~0.6 s on the host (this machine's /tmp),
 * paid once a round by every backend: 3 s a backend at the default 5 rounds.
 */
export const LEAVE_FILES = 2000;

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/**
 * One round: every (class, size) as a phase of one run, in a shuffled order, so that drifting load
 * spreads over every class (but those timed at the run's start, first); two starts; and one run
 * that leaves LEAVE_FILES files; the four runs shuffled too.
 */
export function roundJobs(scale: number, random: () => number): Job[] {
  // A small scale must not merge the two sizes: the i-th is at least i + 1.
  const phasesOf = (first: boolean) =>
    CLASSES.filter((c) => (c.atStart ?? false) === first).flatMap((c) =>
      c.sizes.map((size, i) => ({ name: c.name, n: Math.max(i + 1, Math.round(size * scale)) })),
    );
  // A class timed at the start of a run (`clock`) runs before the shuffled rest, in order: the
  // program reads the clock untimed first (native/calib.c CLOCK_WARMUP), past gVisor's cheaper
  // first reads (classes.ts), and whatever the first phase pays for being first is the line's
  // intercept, not noise in its slope.
  const phases = [...phasesOf(true), ...shuffle(phasesOf(false), random)];
  const leave = Math.max(1, Math.round(LEAVE_FILES * scale));
  return shuffle<Job>([{ name: 'batch', phases }, { name: 'start' }, { name: 'start' }, { name: 'leave', n: leave }], random);
}

function argsOf(job: Job): string[] {
  if (job.name === 'start') return [CALIB_PROGRAM, 'noop'];
  if (job.name === 'leave') return [CALIB_PROGRAM, 'leave', String(job.n)];
  return [CALIB_PROGRAM, 'batch', ...job.phases.flatMap((p) => [p.name, String(p.n)])];
}

/**
 * The program's `CLASS N MILLISECONDS` lines of a batch run, one per phase asked for, in order,
 * after the untimed clock reads' `warmup clock N MILLISECONDS` where the batch opens with the
 * clock (native/calib.c CLOCK_WARMUP), which no fit uses.
 */
export function parsePhases(stdout: string, phases: readonly Phase[]): number[] {
  const lines = stdout
    .trim()
    .split('\n')
    .filter((line, i) => !(i === 0 && line.startsWith('warmup ')));
  const times = phases.map((p, i) => {
    const [name, n, ms] = (lines[i] ?? '').trim().split(/\s+/);
    return name === p.name && Number(n) === p.n && Number.isFinite(Number(ms)) ? Number(ms) : Number.NaN;
  });
  if (lines.length !== phases.length || times.some((t) => Number.isNaN(t))) {
    throw new CalibrationRunError(
      `calibrate: the batch run wrote ${JSON.stringify(stdout.slice(0, 300))}, expected ${phases.length} lines 'CLASS N MILLISECONDS'`,
    );
  }
  return times;
}

/** The phases after `command` (docker's `exit` and `client`, bubblewrap's `exit`), null where none follows it. */
export function afterCommand(phases: Readonly<Record<string, number>>): number | null {
  const names = Object.keys(phases);
  const at = names.indexOf('command');
  if (at === -1 || at === names.length - 1) return null;
  return names.slice(at + 1).reduce((sum, name) => sum + (phases[name] ?? 0), 0);
}

async function runOnce(backend: SandboxBackend, cwd: string, job: Job, timeoutMs: number | undefined): Promise<CalibrationSample[]> {
  // A build's clean hook, untimed: before, and after, so that no other run pays for these files'
  // dirty data (a Docker run's journal commit would write them out).
  if (job.name === 'leave') emptyLeftDir(cwd);
  const started = performance.now();
  const result = await backend.run(argsOf(job), {
    maxOutputBytes: 4096,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  const ended = performance.now();
  if (job.name === 'leave') emptyLeftDir(cwd);
  await settle(backend);
  if (result.outcome !== 'success') {
    throw new CalibrationRunError(
      `calibrate: '${argsOf(job).slice(1).join(' ')}' failed on ${backend.name}: ${result.error ?? result.outcome}${result.stderr.trim() === '' ? '' : ` (${result.stderr.trim().split('\n').pop() ?? ''})`}`,
    );
  }
  if (result.commandMs === undefined || result.commandMs === null) {
    throw new CalibrationRunError(`calibrate: ${backend.name} did not time the command (no launcher: run 'node native/build.js')`);
  }
  const window = timedWindowOf(result, started, ended);
  const durationMs = window ? window.endedAt - window.startedAt : ended - started;
  const after = afterCommand(result.phases);
  const whole = { backend: backend.name, commandMs: result.commandMs, durationMs, ...(after === null ? {} : { afterMs: after }) };
  if (job.name === 'start') return [{ ...whole, class: 'start', n: 0 }];
  if (job.name === 'leave') return [{ ...whole, class: 'leave', n: job.n }];
  const times = parsePhases(result.stdout, job.phases);
  return [
    { ...whole, class: 'batch', n: 0 },
    ...job.phases.map((p, i) => ({ backend: backend.name, class: p.name, n: p.n, commandMs: times[i] as number, durationMs, phase: true })),
  ];
}

/**
 * Runs every workload at each of its sizes on every backend, interleaved in the balanced order
 * compare uses (each backend right after each other one equally often, so that a container's
 * teardown or a run's files are not always paid by the same backend's start), in a fresh working
 * directory: per round and backend one run doing every (class, size) as a phase timed by the
 * program, two starts and one run leaving files. One run per class
 * and size cost a backend's start 18 times a round: at load 20-27, 483 s on nine backends, 161 s
 * of it gvisor-pool's refills and 91 s Docker's starts. One untimed warm-up per backend first (the
 * files' dentries and pages, the program's first exec).
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
    let done = 0;
    for (const backend of backends) {
      const since = performance.now();
      await runOnce(
        backend,
        cwd,
        {
          name: 'batch',
          phases: [
            { name: 'stat', n: 1000 },
            { name: 'read', n: 1 },
          ],
        },
        options.timeoutMs,
      );
      spend(backend.name, 'prepare', since);
    }
    for (const [index, job] of plan.entries()) {
      for (const b of balancedOrder(backends.length, index)) {
        const backend = backends[b] as SandboxBackend;
        options.signal?.throwIfAborted();
        const since = performance.now();
        samples.push(...(await runOnce(backend, cwd, job, options.timeoutMs)));
        spend(backend.name, job.name, since);
        options.onRun?.(backend.name, ++done, total);
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
