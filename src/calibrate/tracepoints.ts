/*
 * The kernel tracepoints predict's counter opens (native/calib.c `count -e ID[:FILTER]`): every
 * system call (raw_syscalls/sys_enter), each call a class names (the same tracepoint filtered on
 * its number, `id == 257`), and for execs and `mkdir`s their successes too (raw_syscalls/sys_exit
 * filtered on `id == 59 && ret == 0`: a failed exec of a PATH search is no process start, a
 * failed `mkdir` of a directory that exists no creation, classes.ts `succeededOnly`). The kernel counts
 * them as they happen, for the command and every process it starts, without stopping it:
 * strace's ptrace stops it twice a call (2.34x the build workload's own time). Two tracepoints,
 * not one per call (syscalls/sys_enter_NAME): each costs a registration when the first event
 * opens and an RCU grace period wait when the last closes, 30-40 ms under load; 29 of them took
 * 1.1 s to tear down and held the next profile's registration back.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLASSES } from './classes';
import { libcCallName, libcPoints } from './libcProbe';
import { writable } from '../writable';

export interface Tracepoint {
  /** A system call's name, `(all)` for every call, or `NAME (succeeded)` for an exit with `ret == 0`. */
  name: string;
  /** The argument to `count -e`: ID or ID:FILTER. */
  spec: string;
}

export const ALL_CALLS = '(all)';
/** The calls that start a program: the class `spawn`'s. */
const EXECS: readonly string[] = CLASSES.find((c) => c.name === 'spawn')?.syscalls ?? [];
export const succeeded = (name: string) => `${name} (succeeded)`;

/** Where tracefs is mounted (the newer place first). */
const TRACEFS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];
/** What makes the tracepoints readable where the kernel has them but nobody mounted tracefs (a fresh VM). */
export const MOUNT_TRACEFS = 'mount -t tracefs nodev /sys/kernel/tracing';

function idOf(root: string, event: string): string | null {
  try {
    const id = fs.readFileSync(path.join(root, 'events', event, 'id'), 'utf8').trim();
    return /^\d+$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** This architecture's number of each call the classes name (`sandbox-perf-calib syscalls`). */
export function syscallNumbers(program: string): Map<string, number> {
  const out = execFileSync(program, ['syscalls'], { encoding: 'utf8' });
  return new Map(
    out
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .map(([name, nr]) => [name as string, Number(nr)]),
  );
}

/** The C library functions the classes count (classes.ts `libcCalls`). */
const LIBC_CALLS = CLASSES.flatMap((c) => c.libcCalls ?? []);
/** Whether a profile's call name is a C library function's (a uprobe's count), not a system call's. */
export const isLibcCall = (name: string) => LIBC_CALLS.some((f) => libcCallName(f) === name);

/**
 * The tracepoints to count, or null when this kernel has no syscall tracepoints to read (no
 * tracefs mounted, or a kernel without CONFIG_FTRACE_SYSCALLS): the caller counts with strace.
 * Calls a class names that this architecture lacks (fstatat64 on x86-64) are left out. Where
 * this process may add uprobes (a writable uprobe_events: root), the C library's functions the
 * classes count too; where it may not, the tracepoints alone rather than strace.
 */
export function syscallTracepoints(
  numbers: ReadonlyMap<string, number>,
  roots: readonly string[] = TRACEFS,
  probes: () => Tracepoint[] = () => libcPoints(LIBC_CALLS),
): Tracepoint[] | null {
  const root = roots.find((r) => idOf(r, 'raw_syscalls/sys_enter') !== null && idOf(r, 'raw_syscalls/sys_exit') !== null);
  if (root === undefined) return null;
  const enter = idOf(root, 'raw_syscalls/sys_enter') as string;
  const exit = idOf(root, 'raw_syscalls/sys_exit') as string;
  const points: Tracepoint[] = [{ name: ALL_CALLS, spec: enter }];
  for (const c of CLASSES) {
    for (const name of [...(c.syscalls ?? []), ...(c.absorbs ?? [])]) {
      const nr = numbers.get(name);
      if (nr === undefined) continue;
      points.push({ name, spec: `${enter}:id == ${nr}` });
      if (c.succeededOnly?.includes(name)) points.push({ name: succeeded(name), spec: `${exit}:id == ${nr} && ret == 0` });
    }
  }
  if (points.length === 1) return null;
  return writable(path.join(root, 'uprobe_events')) ? [...points, ...probes()] : points;
}

/**
 * Whether predict's counter can read the kernel's syscall tracepoints here with `program` (the
 * built sandbox-perf-calib), rather than fall back to strace: false where the program is missing
 * (safe where it is not built yet: a skipped test file's body still runs).
 */
export function tracepointsReadable(program: string): boolean {
  return fs.existsSync(program) && syscallTracepoints(syscallNumbers(program)) !== null;
}

/**
 * The counter's second line as calls per name, in strace's shape (calls and errors): each named
 * call, and `(other)` for every call no tracepoint named. The counting starts during the command's
 * own exec, so that exec is seen at its exit only: its entry is added to the exec's calls (not
 * with `ownExec` false: the third line, the calls on the command's other threads, has no such exec).
 * A C library function's calls (a uprobe's) are under their own name, outside `(other)`.
 */
export function callsFromEvents(
  points: readonly Tracepoint[],
  line: string,
  ownExec = true,
): Record<string, { calls: number; errors: number }> {
  const values = line.trim().split(/\s+/).map(Number);
  if (values.length !== points.length || values.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new Error(`predict: the counter wrote ${JSON.stringify(line.slice(0, 200))}, expected ${points.length} counts`);
  }
  const count = new Map(points.map((p, i) => [p.name, values[i] as number]));
  const out: Record<string, { calls: number; errors: number }> = {};
  let named = 0;
  for (const p of points) {
    if (p.name === ALL_CALLS || p.name.endsWith(' (succeeded)')) continue;
    const calls = count.get(p.name) as number;
    // A C library function's calls are no system calls: not among `(all)`.
    if (isLibcCall(p.name)) {
      out[p.name] = { calls, errors: 0 };
      continue;
    }
    named += calls;
    const ok = count.get(succeeded(p.name));
    // Only the command's own exec is seen at its exit alone.
    const entered = calls + (ownExec && EXECS.includes(p.name) ? 1 : 0);
    out[p.name] = ok === undefined ? { calls, errors: 0 } : { calls: entered, errors: Math.max(0, entered - ok) };
  }
  out['(other)'] = { calls: Math.max(0, (count.get(ALL_CALLS) ?? 0) - named), errors: 0 };
  return out;
}
