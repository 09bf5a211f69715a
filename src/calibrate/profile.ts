/*
 * The untimed profiling run: the command once on the host under native/calib.c's `count` wrapper
 * (page faults and CPU time from wait4, bytes read and written from /proc/self/io), which also
 * counts its system calls by name, every process it starts included, with the kernel's syscall
 * tracepoints (tracepoints.ts): nothing stops the command. Where the kernel has none, under
 * `strace -f -c` instead, which stops it at every call and makes the run 2-3x slower; what is
 * counted does not change with it (the counts agree: profile.test.ts, docs/calibration.md).
 * The counts are mapped to the calibrated classes. With the tracepoints, a uprobe also counts the
 * C library's clock_gettime calls, which the host's vDSO answers without a system call (`clock`);
 * strace cannot see them: its profiles count no clock reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CLASSES, type ClassName } from './classes';
import { assertCalibProgram } from './calibWorkdir';
import { MOUNT_TRACEFS, callsFromEvents, isLibcCall, syscallNumbers, syscallTracepoints, type Tracepoint } from './tracepoints';
import { libcCallName } from './libcProbe';
import { makeTempDir } from '../runners/inFlightRuns';
import { printable } from '../printable';
import { runProfiled, type Ran } from './profileRun';
import { sandboxEnv } from '../runners/environment';

export type OperationCounts = Record<ClassName, number>;

export interface Profile {
  /** Operations per class: `cpu` is the command's user CPU time (ms), `read` and `write` MiB, the rest counts. */
  counts: OperationCounts;
  /** Calls per system call name (with the tracepoints: the names a class counts, and `(other)` for the rest). */
  syscalls: Record<string, number>;
  /**
   * Of `counts`, the calls the command's own process made on its threads other than the first
   * (libuv's pool, V8's helpers), by class, `thread` their sum: counted by the tracepoints only
   * (all 0 under strace, whose summary does not tell threads apart).
   */
  onThreads: OperationCounts;
  exitCode: number | null;
  /** The signal that killed the command (`SIGSEGV`) when one did (exitCode null); null otherwise. */
  exitSignal: string | null;
  /** The profiling run's wall time (the counter's slowdown included). */
  elapsedMs: number;
  /** What counted the system calls. */
  counter: Counter;
}

/** `tracepoints`: the kernel's, through perf_event_open; `strace`: strace -f -c. */
export type Counter = 'tracepoints' | 'strace';

/**
 * What a profile counted by strace leaves out, or null for the tracepoints': the C library's
 * clock reads (the host's vDSO answers them, no system call to see) and which thread made each
 * call. gVisor pays for both: half of tsc's predicted cost there is clock reads.
 */
export function counterCaveat(counter: Counter): string | null {
  if (counter === 'tracepoints') return null;
  return (
    "counted with strace: the kernel's syscall tracepoints could not be opened (tracefs is not mounted, or this is not root), " +
    'so clock reads and the calls on other threads count 0 and gVisor is predicted low where a command makes them; ' +
    `as root, '${MOUNT_TRACEFS}' lets predict count with the tracepoints`
  );
}

/** The exec that starts the wrapper (strace sees it) and the command's own first one: not the command's process starts. */
const OWN_EXECS: Record<Counter, number> = { strace: 2, tracepoints: 1 };

/** strace -c -U calls,errors,name: `calls [errors] name` rows between dashed lines, then `total`. */
export function parseStraceSummary(text: string): Record<string, { calls: number; errors: number }> {
  const out: Record<string, { calls: number; errors: number }> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(?:(\d+)\s+)?([a-z_][a-z0-9_]*)\s*$/.exec(line);
    if (!m || m[3] === 'total') continue;
    out[m[3] as string] = { calls: Number(m[1]), errors: Number(m[2] ?? 0) };
  }
  return out;
}

/** The wrapper's line: minflt majflt utime_us stime_us rchar wchar. */
export function parseCountLine(text: string): { faults: number; userMs: number; readBytes: number; writtenBytes: number } {
  const fields = text.trim().split(/\s+/).map(Number);
  if (fields.length !== 6 || fields.some((v) => !Number.isFinite(v))) {
    throw new Error(`predict: the counter wrote ${JSON.stringify(text.slice(0, 200))}, expected six numbers`);
  }
  const [minflt, majflt, utime, , rchar, wchar] = fields as [number, number, number, number, number, number];
  return { faults: minflt + majflt, userMs: utime / 1000, readBytes: rchar, writtenBytes: wchar };
}

/**
 * The operation counts of one run, from the calls per name and the wrapper's line. `spawn` leaves
 * out the execs that are not the command's starts (strace sees the wrapper's own; the command's
 * first is in the calibration's intercept already).
 */
export function countsFrom(
  strace: Record<string, { calls: number; errors: number }>,
  line: string,
  via: Counter = 'strace',
): OperationCounts {
  const counter = parseCountLine(line);
  const counts = classify(strace);
  counts.spawn = Math.max(0, counts.spawn - OWN_EXECS[via]);
  counts.cpu = counter.userMs;
  counts.read = counter.readBytes / 2 ** 20;
  counts.write = counter.writtenBytes / 2 ** 20;
  counts.fault = counter.faults;
  return counts;
}

/** Every class at 0. */
const zeroCounts = (): OperationCounts => Object.fromEntries(CLASSES.map((c) => [c.name, 0])) as OperationCounts;

/** Calls per name into the classes that count system calls; the classes counted otherwise 0. */
function classify(calls: Record<string, { calls: number; errors: number }>): OperationCounts {
  const counts = zeroCounts();
  const absorbed = new Set(CLASSES.flatMap((c) => c.absorbs ?? []));
  for (const [name, { calls: n, errors }] of Object.entries(calls)) {
    if (absorbed.has(name)) continue;
    const owner = CLASSES.find((c) => c.syscalls?.includes(name) || c.libcCalls?.some((f) => libcCallName(f) === name));
    if (owner?.succeededOnly?.includes(name)) {
      counts[owner.name] += n - errors;
      if (owner.failedAs !== undefined) counts[owner.failedAs] += errors;
    } else if (owner) counts[owner.name] += n;
    else counts.syscall += n;
  }
  return counts;
}

/**
 * The counter's third line (calls per event on the command's other threads) by class, `thread`
 * their sum (every call, the absorbed ones included: each is a call the thread made); none without it.
 */
export function threadCountsFrom(points: readonly Tracepoint[], line: string | undefined): OperationCounts {
  if (line === undefined || line.trim() === '') return zeroCounts();
  const calls = callsFromEvents(points, line, false);
  const counts = classify(calls);
  // A C library function's calls (the clock's) are no system calls.
  counts.thread = Object.entries(calls)
    .filter(([name]) => !isLibcCall(name))
    .reduce((sum, [, c]) => sum + c.calls, 0);
  return counts;
}

export interface ProfileOptions {
  /** `auto`: the tracepoints where the kernel lets the counter open them, else strace. @default 'auto' */
  counter?: Counter | 'auto';
  timeoutMs?: number;
  /**
   * The command's environment: the one every backend gives it (environment.ts), so that what is
   * counted is what the measured runs do. The caller's would not be: with NODE_EXTRA_CA_CERTS set
   * (this machine's), each Node start reads and parses the CA bundle, 35-45 ms of CPU and an open
   * the measured runs never make. @default sandboxEnv(cwd)
   */
  env?: Readonly<Record<string, string>>;
}

/** The counter exits with this before the command runs when it cannot open its events. */
const NO_EVENTS = 125;

/** Runs `command` once on the host in `cwd`, its output discarded, and counts its operations. */
export async function profileCommand(command: readonly string[], cwd: string, options: ProfileOptions = {}): Promise<Profile> {
  const program = assertCalibProgram();
  const timeoutMs = options.timeoutMs ?? 600_000;
  const env = options.env ?? sandboxEnv(path.resolve(cwd));
  const wanted = options.counter ?? 'auto';
  const points = wanted === 'strace' ? null : syscallTracepoints(syscallNumbers(program));
  if (wanted === 'tracepoints' && points === null) {
    throw new Error(`predict: no syscall tracepoints in tracefs (/sys/kernel/tracing): as root, '${MOUNT_TRACEFS}', or count with strace`);
  }
  // A signal ends the process without the `finally` below: the signal's cleanup removes it then.
  const { dir, remove: removeDir } = makeTempDir('sandbox-perf-profile-');
  const straceFile = path.join(dir, 'strace.txt');
  const countFile = path.join(dir, 'counts.txt');
  try {
    if (points !== null) {
      const t0 = performance.now();
      const events = points.flatMap((p) => ['-e', p.spec]);
      const ran = await runProfiled(program, ['count', countFile, '-n', '3', '-t', ...events, ...command], cwd, {
        env,
        timeoutMs,
        counter: true,
      });
      const elapsedMs = performance.now() - t0;
      const written = fs.existsSync(countFile) ? fs.readFileSync(countFile, 'utf8') : '';
      if (!(ran.exitCode === NO_EVENTS && written === '')) return fromEvents(command, points, written, ran, elapsedMs);
      if (wanted === 'tracepoints') throw new Error(`predict: the counter cannot open the tracepoints: ${ran.stderr.trim()}`);
    }
    const t0 = performance.now();
    const ran = await runProfiled(
      'strace',
      ['-f', '-c', '-U', 'calls,errors,name', '-o', straceFile, '--', program, 'count', countFile, '-n', '3', ...command],
      cwd,
      { env, timeoutMs, traced: true },
    );
    const elapsedMs = performance.now() - t0;
    const written = fs.existsSync(countFile) ? fs.readFileSync(countFile, 'utf8') : '';
    if (written.trim() === '') throw noCounts(command, ran);
    const strace = parseStraceSummary(fs.readFileSync(straceFile, 'utf8'));
    const counts = countsFrom(strace, written, 'strace');
    const syscalls = Object.fromEntries(Object.entries(strace).map(([name, v]) => [name, v.calls]));
    const onThreads = zeroCounts();
    return { counts, syscalls, onThreads, exitCode: ran.exitCode, exitSignal: ran.signal, elapsedMs, counter: 'strace' };
  } finally {
    removeDir();
  }
}

/** The command's own stderr may carry escape sequences for the operator's terminal: its last line is shown escaped. */
function noCounts(command: readonly string[], ran: Ran): Error {
  const why = ran.stderr.trim().split('\n').pop() ?? '';
  const ended = ran.exitCode === null ? `killed by ${ran.signal ?? 'a signal'}` : `exit ${String(ran.exitCode)}`;
  return new Error(
    `predict: the profiling run of ${JSON.stringify(command.join(' '))} left no counts (${ended}${why === '' ? '' : `; its stderr ends with: ${printable(why)}`})`,
  );
}

function fromEvents(command: readonly string[], points: readonly Tracepoint[], written: string, ran: Ran, elapsedMs: number): Profile {
  const [line, events, onOtherThreads] = written.split('\n');
  if (line === undefined || line.trim() === '' || events === undefined) throw noCounts(command, ran);
  const calls = callsFromEvents(points, events);
  const counts = countsFrom(calls, line, 'tracepoints');
  const onThreads = threadCountsFrom(points, onOtherThreads);
  counts.thread = onThreads.thread;
  const syscalls = Object.fromEntries(Object.entries(calls).map(([name, v]) => [name, v.calls]));
  return { counts, syscalls, onThreads, exitCode: ran.exitCode, exitSignal: ran.signal, elapsedMs, counter: 'tracepoints' };
}
