/*
 * The untimed profiling run: the command once on the host, under `strace -f -c` (system calls by
 * name, every process it starts included) and native/calib.c's `count` wrapper (page faults and
 * CPU time from wait4, bytes read and written from /proc/self/io), mapped to the calibrated
 * classes. strace slows the command; what is counted does not change with it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLASSES, type ClassName } from './classes';
import { assertCalibProgram } from './calibWorkdir';

export type OperationCounts = Record<ClassName, number>;

export interface Profile {
  /** Operations per class: `cpu` is the command's user CPU time (ms), `read` and `write` MiB, the rest counts. */
  counts: OperationCounts;
  /** strace's calls per system call name. */
  syscalls: Record<string, number>;
  exitCode: number | null;
  /** The profiling run's wall time (strace's slowdown included). */
  elapsedMs: number;
}

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
 * The operation counts of one run, from strace's summary and the wrapper's line. `spawn` leaves
 * out the two execs that are not the command's starts (the wrapper's own, and the command's first,
 * which the calibration's intercept already holds).
 */
export function countsFrom(strace: Record<string, { calls: number; errors: number }>, line: string): OperationCounts {
  const counter = parseCountLine(line);
  const counts = Object.fromEntries(CLASSES.map((c) => [c.name, 0])) as OperationCounts;
  const absorbed = new Set(CLASSES.flatMap((c) => c.absorbs ?? []));
  for (const [name, { calls, errors }] of Object.entries(strace)) {
    if (absorbed.has(name)) continue;
    const owner = CLASSES.find((c) => c.syscalls?.includes(name));
    if (owner?.name === 'spawn') counts.spawn += calls - errors;
    else if (owner) counts[owner.name] += calls;
    else counts.syscall += calls;
  }
  counts.spawn = Math.max(0, counts.spawn - 2);
  counts.cpu = counter.userMs;
  counts.read = counter.readBytes / 2 ** 20;
  counts.write = counter.writtenBytes / 2 ** 20;
  counts.fault = counter.faults;
  return counts;
}

/** Runs `command` once on the host in `cwd`, its output discarded, and counts its operations. */
export async function profileCommand(command: readonly string[], cwd: string, timeoutMs = 600_000): Promise<Profile> {
  const program = assertCalibProgram();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-perf-profile-'));
  const straceFile = path.join(dir, 'strace.txt');
  const countFile = path.join(dir, 'counts.txt');
  const t0 = performance.now();
  try {
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        'strace',
        ['-f', '-c', '-U', 'calls,errors,name', '-o', straceFile, '--', program, 'count', countFile, ...command],
        {
          cwd,
          stdio: 'ignore',
          timeout: timeoutMs,
        },
      );
      child.on('error', (error) => {
        reject(new Error(`predict: cannot start strace (${error.message}): apt-get install strace`));
      });
      child.on('close', (code) => {
        resolve(code);
      });
    });
    const elapsedMs = performance.now() - t0;
    if (!fs.existsSync(countFile) || fs.readFileSync(countFile, 'utf8').trim() === '') {
      throw new Error(`predict: the profiling run of ${JSON.stringify(command.join(' '))} left no counts (exit ${String(exitCode)})`);
    }
    const strace = parseStraceSummary(fs.readFileSync(straceFile, 'utf8'));
    const counts = countsFrom(strace, fs.readFileSync(countFile, 'utf8'));
    const syscalls = Object.fromEntries(Object.entries(strace).map(([name, v]) => [name, v.calls]));
    return { counts, syscalls, exitCode, elapsedMs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
