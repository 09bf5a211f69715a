import { EventEmitter } from 'node:events';
import { detectBackends } from '../runners/detect';
import { DEFAULT_TIMEOUT_MS, assertCommand } from '../runners/options';
import { assertBackendName, backendsWhere } from '../runners/backendNames';
import { commandWorkload, namedWorkload, type Workload } from '../runners/workload';
import type { BackendName, SandboxOptions } from '../runners/types';
import { SandboxPerfMonitor } from '../sandbox/SandboxPerfMonitor';
import { StateDatabase } from '../state/StateDatabase';
import { assertKnownKeys, assertNumberInRange, assertPlainObject, expectation, ValidationError } from '../validation';
import { log, logOnce } from '../log';
import { CanarySchedule } from './CanarySchedule';
import { canaryLine } from './canaryLine';
import { runCanaryRound, type CanaryRound } from './canaryRound';

/** @see StartCanaryOptions.everyMs */
export const DEFAULT_CANARY_EVERY_MS = 600_000;
/** @see StartCanaryOptions.runs */
export const DEFAULT_CANARY_RUNS = 5;
/** Shortest interval: a canary is a background check, not a benchmark loop. */
export const MIN_CANARY_EVERY_MS = 1000;
/** Backends tried when none are given: the ones that need nothing kept running between rounds (`canary` in backends.ts). */
export const CANARY_CANDIDATES: readonly BackendName[] = backendsWhere((entry) => entry.canary);

export interface StartCanaryOptions {
  /** The command (argv) the canary runs on each backend. */
  command: readonly string[];
  /** Backends compared with `none` (which is always run, as the baseline). @default the available ones of {@link CANARY_CANDIDATES} */
  backends?: readonly BackendName[];
  /** Time between round starts, ms (at least 1000). @default 600000 (10 minutes) */
  everyMs?: number;
  /** Timed runs per backend and round (1 to 1000). @default 5 */
  runs?: number;
  /** Untimed, unrecorded rounds first in each round (0 to 100): page cache and image layers warm again. @default 1 */
  warmup?: number;
  /** Per-run timeout, ms. @default 300000 */
  timeoutMs?: number;
  /** How every backend is set up (working directory, limits, image). @default {} */
  sandbox?: SandboxOptions;
  /** The workload's name. @default the key `run` and `compare` give the same command in the same directory */
  workload?: string;
  /** Where the runs are recorded. @default a monitor writing to `db` */
  monitor?: SandboxPerfMonitor;
  /** The history to write to, when no monitor is given: a path (opened and closed by the canary) or a StateDatabase. @default the default history */
  db?: string | StateDatabase;
  /** Each round's summary line. @default the library's log (stderr) */
  onLine?: (line: string) => void;
}

export interface CanaryEvents {
  /** A round ended (also one that could not run: see `error`). */
  round: [round: CanaryRound];
  /** A round was due while the previous one still ran: it was skipped. */
  skip: [skipped: number];
}

/** A running canary (startCanary). */
export interface Canary extends EventEmitter<CanaryEvents> {
  readonly command: readonly string[];
  readonly workload: Workload;
  /** `none` first, then the backends compared with it. */
  readonly backends: readonly BackendName[];
  readonly everyMs: number;
  readonly runs: number;
  /** The last round that ended; null before the first. */
  readonly latest: CanaryRound | null;
  /** Rounds ended, skipped and failed so far, and the CPU all rounds used (ms, see CanaryCpu). */
  readonly stats: { rounds: number; skipped: number; failed: number; cpuMs: number };
  /** Epoch ms of the next due round; null once stopped. */
  readonly nextAt: number | null;
  /** No round starts after this; resolves once the round in flight stopped (after its current run) and the history is written. */
  stop(): Promise<void>;
}

const KEYS: readonly (keyof StartCanaryOptions)[] = [
  'command',
  'backends',
  'everyMs',
  'runs',
  'warmup',
  'timeoutMs',
  'sandbox',
  'workload',
  'monitor',
  'db',
  'onLine',
];

function checkBackends(value: unknown): BackendName[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ValidationError(expectation('backends', 'a non-empty array of backend names', value));
  }
  for (const name of value) assertBackendName(name);
  const list = (value as BackendName[]).filter((b) => b !== 'none');
  if (list.length === 0) throw new ValidationError(expectation('backends', 'at least one backend besides `none` (the baseline)', value));
  if (new Set(list).size !== list.length) throw new ValidationError(expectation('backends', 'backends listed once each', value));
  return list;
}

/**
 * Starts a continuous baseline: now, then every `everyMs`, a short interleaved comparison of the
 * command on none and each backend, recorded under the command's workload with the round's start
 * as `canary_round` (schema 7), so that the slowdown inside the command (what the per-run
 * overhead cannot see: gVisor intercepting system calls) is tracked over time. Rounds never
 * overlap (a due round is skipped and counted while one runs); every run is a child process (or a
 * container), so the event loop only schedules. Resolves once the backends are known (detected
 * when not given); rejects with a TypeError for bad options and when no backend is available.
 */
export async function startCanary(options: StartCanaryOptions): Promise<Canary> {
  assertPlainObject('options', options);
  assertKnownKeys('options', options, KEYS);
  assertCommand(options.command);
  const everyMs = options.everyMs ?? DEFAULT_CANARY_EVERY_MS;
  assertNumberInRange('everyMs', everyMs, MIN_CANARY_EVERY_MS, 2 ** 31 - 1);
  const runs = options.runs ?? DEFAULT_CANARY_RUNS;
  assertNumberInRange('runs', runs, 1, 1000, true);
  const warmup = options.warmup ?? 1;
  assertNumberInRange('warmup', warmup, 0, 100, true);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  assertNumberInRange('timeoutMs', timeoutMs, 1, 2 ** 31 - 1, true);
  const sandbox = options.sandbox ?? {};
  assertPlainObject('sandbox', sandbox);
  if (options.monitor !== undefined && !(options.monitor instanceof SandboxPerfMonitor)) {
    throw new ValidationError(expectation('monitor', 'a SandboxPerfMonitor', options.monitor));
  }
  if (options.db !== undefined && typeof options.db !== 'string' && !(options.db instanceof StateDatabase)) {
    throw new ValidationError(expectation('db', 'a file path or a StateDatabase', options.db));
  }
  if (options.onLine !== undefined && typeof options.onLine !== 'function') {
    throw new ValidationError(expectation('onLine', 'a function', options.onLine));
  }
  const command = [...options.command];
  const workload =
    options.workload === undefined ? commandWorkload(command, sandbox.cwd ?? process.cwd()) : namedWorkload(options.workload);
  let compared: BackendName[];
  if (options.backends === undefined) {
    const found = await detectBackends(sandbox, CANARY_CANDIDATES);
    compared = found.filter((b) => b.available).map((b) => b.backend);
    if (compared.length === 0) {
      throw new ValidationError(
        expectation('backends', `given: none of ${CANARY_CANDIDATES.join(', ')} is available here`, found.map((b) => b.message).join('; ')),
      );
    }
  } else {
    compared = checkBackends(options.backends);
    // Checked once now, as a round would prepare them: a backend missing here fails at start, not every round.
    const missing = (await detectBackends(sandbox, compared)).filter((b) => !b.available);
    if (missing.length > 0) {
      throw new ValidationError(expectation('backends', 'backends available here', missing.map((b) => b.message).join('; ')));
    }
  }

  const ownedDb = options.monitor === undefined && typeof options.db === 'string' ? new StateDatabase({ path: options.db }) : undefined;
  const sink = ownedDb ?? (options.db instanceof StateDatabase ? options.db : undefined);
  const monitor = options.monitor ?? new SandboxPerfMonitor(sink === undefined ? {} : { sink });
  if (ownedDb) await ownedDb.open();
  const canary = new RunningCanary(
    { command, workload, backends: ['none', ...compared], everyMs, runs, warmup, timeoutMs, sandbox, monitor },
    options.onLine ?? log,
    ownedDb,
  );
  canary.start();
  return canary;
}

interface CanaryPlan {
  command: string[];
  workload: Workload;
  backends: BackendName[];
  everyMs: number;
  runs: number;
  warmup: number;
  timeoutMs: number;
  sandbox: SandboxOptions;
  monitor: SandboxPerfMonitor;
}

class RunningCanary extends EventEmitter<CanaryEvents> implements Canary {
  readonly command: readonly string[];
  readonly workload: Workload;
  readonly backends: readonly BackendName[];
  readonly everyMs: number;
  readonly runs: number;
  private latestRound: CanaryRound | null = null;
  private readonly counts = { rounds: 0, skipped: 0, failed: 0, cpuMs: 0 };
  private readonly abort = new AbortController();
  private readonly schedule: CanarySchedule;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly plan: CanaryPlan,
    private readonly onLine: (line: string) => void,
    private readonly ownedDb: StateDatabase | undefined,
  ) {
    super();
    this.command = plan.command;
    this.workload = plan.workload;
    this.backends = plan.backends;
    this.everyMs = plan.everyMs;
    this.runs = plan.runs;
    this.schedule = new CanarySchedule(plan.everyMs, { round: () => this.round(), onSkip: (n) => this.skipped(n) });
  }

  get latest(): CanaryRound | null {
    return this.latestRound;
  }

  get stats(): { rounds: number; skipped: number; failed: number; cpuMs: number } {
    return { ...this.counts };
  }

  get nextAt(): number | null {
    return this.schedule.nextAt;
  }

  start(): void {
    this.schedule.start();
  }

  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      this.abort.abort(new Error('the canary was stopped'));
      await this.schedule.stop();
      if (this.ownedDb) await this.ownedDb.close();
    })());
  }

  private async round(): Promise<void> {
    const { plan } = this;
    const round = await runCanaryRound({
      round: this.counts.rounds + 1,
      command: plan.command,
      backends: plan.backends,
      runs: plan.runs,
      warmup: plan.warmup,
      timeoutMs: plan.timeoutMs,
      sandbox: plan.sandbox,
      monitor: plan.monitor,
      signal: this.abort.signal,
    });
    // A round cut short by stop() is not a result.
    if (this.abort.signal.aborted && round.error !== null) return;
    this.counts.rounds++;
    this.counts.cpuMs += round.cpu.totalMs;
    if (round.error !== null) this.counts.failed++;
    this.latestRound = round;
    emitSafely(() => this.onLine(canaryLine(round, plan.backends.length, this.schedule.nextAt)));
    emitSafely(() => this.emit('round', round));
  }

  private skipped(skipped: number): void {
    this.counts.skipped = skipped;
    emitSafely(() => this.onLine(`canary: a round was due while round ${this.counts.rounds + 1} still ran: skipped (${skipped} so far)`));
    emitSafely(() => this.emit('skip', skipped));
  }
}

/** A listener that throws must not stop the canary. */
function emitSafely(emit: () => void): void {
  try {
    emit();
  } catch (error) {
    logOnce(error, 'sandbox-perf: a canary listener threw');
  }
}
