import fs from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import { signalName } from '../signalName';
import { log } from '../../log';
import type { OutputListener } from '../BoundedOutput';
import { nativeProgram } from '../../nativeProgram';

/**
 * The C launcher (native/launcher.c, built at install by native/build.js): the timer that runs
 * next to the command, inside the sandbox, and reports the command's own wall time, CPU time and
 * peak memory. Without it (no C compiler at install, or SANDBOX_PERF_LAUNCHER=off) runs are timed
 * from Node as before, and that is said once.
 */
export type TimerName = 'launcher' | 'node';

/** What the launcher reported for one run. */
export interface LauncherReport {
  /** CLOCK_MONOTONIC just before the spawn and just after the reap, nanoseconds. */
  startNs: bigint;
  endNs: bigint;
  /** The command's wait status: an exit code or the signal that ended it. */
  exitCode: number | null;
  signal: string | null;
  userCpuMs: number;
  systemCpuMs: number;
  peakMemoryBytes: number;
  /** The key the line ends with (`stderr-key` mode), or null. */
  key: string | null;
}

export const LAUNCHER_FILE = nativeProgram('sandbox-perf-launcher');

let resolved: { path: string | null; why: string } | undefined;
let said = false;

/** The launcher's path, or null (with why) when runs are timed from Node. Checked once per process. */
export function launcherStatus(): { path: string | null; why: string } {
  if (resolved) return resolved;
  const setting = process.env.SANDBOX_PERF_LAUNCHER;
  if (setting === 'off') {
    resolved = { path: null, why: 'SANDBOX_PERF_LAUNCHER=off' };
  } else {
    const file = setting !== undefined && setting !== '' ? path.resolve(setting) : LAUNCHER_FILE;
    try {
      fs.accessSync(file, fs.constants.X_OK);
      resolved = { path: file, why: `C launcher at ${file}` };
    } catch {
      resolved = { path: null, why: `no launcher at ${file} (no C compiler at install; install one, then: npm rebuild sandbox-perf)` };
    }
  }
  return resolved;
}

/** Which timer measures commands here, in one line (detectBackends, compare's header). */
export function timerDescription(): string {
  const status = launcherStatus();
  return status.path !== null ? 'launcher (C, CLOCK_MONOTONIC next to the command)' : `node (${status.why})`;
}

/** The launcher's path for a run, saying once when there is none. */
export function launcherForRun(): string | null {
  const status = launcherStatus();
  if (status.path === null && !said) {
    said = true;
    log(`sandbox-perf: commands are timed from Node, fork and pipe included: ${status.why}`);
  }
  return status.path;
}

/** Where Docker backends mount the launcher (read-only) in their containers. */
export const LAUNCHER_IN_CONTAINER = '/.sandbox-perf-launcher';

/** For tests: forget what was found. */
export function resetLauncherStatus(): void {
  resolved = undefined;
  said = false;
}

const LINE = /(?:^|\n)sandbox-perf-launcher 1 (\d{1,20}) (\d{1,20}) (\d{1,10}) (\d{1,15}) (\d{1,15}) (\d{1,15})(?: ([0-9a-f]{32}))?\n$/;

/** Where a report was read: the launcher's own descriptor, or the end of the standard error it shares with the command. */
export type ReportVia = 'fd' | 'stderr';

/**
 * The report line at the end of `text`. On standard error the launcher writes a newline before its
 * line (the command's output need not end in one), so there the match must start with it: the
 * newline is the launcher's, and is cut off with the line.
 */
function lastLine(text: string, via: ReportVia): RegExpExecArray | null {
  const match = LINE.exec(text);
  return match === null || (via === 'stderr' && !match[0].startsWith('\n')) ? null : match;
}

/**
 * Reads the launcher's report from the end of `text` (its descriptor's content, or the tail of
 * standard error `via` 'stderr'); null when there is none or it is not well formed. Untrusted
 * input: strict digits, bounded lengths, end not before start.
 */
export function parseLauncherReport(text: string, via: ReportVia = 'fd'): LauncherReport | null {
  const match = lastLine(text, via);
  if (match === null) return null;
  const [, start, end, status, user, system, rss, key] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const startNs = BigInt(start);
  const endNs = BigInt(end);
  const wait = Number(status);
  if (endNs < startNs || wait > 0xffff) return null;
  const termSignal = wait & 0x7f;
  const exited = termSignal === 0;
  return {
    startNs,
    endNs,
    exitCode: exited ? (wait >> 8) & 0xff : null,
    signal: exited ? null : signalName(termSignal),
    userCpuMs: Number(user) / 1000,
    systemCpuMs: Number(system) / 1000,
    peakMemoryBytes: Number(rss) * 1024,
    key: key ?? null,
  };
}

/**
 * Whether a report read from standard error agrees with how the process around the launcher ended,
 * as the kernel or the engine says it: the same exit code; the same signal; or the signal passed
 * on as the exit code 128 + N (Docker's exec and container, runsc). Standard error is the command's
 * too: a process it left behind can write a well-formed line after the launcher's, and in
 * docker-warm's shared container one did, turning an exit 3 into a success. A report that
 * disagrees is not taken: the run keeps the status its engine saw and is timed from outside.
 */
export function reportAgreesWithExit(report: LauncherReport, exitCode: number | null, signal: string | null): boolean {
  if (report.signal === null) return signal === null && exitCode === report.exitCode;
  if (signal !== null) return signal === report.signal;
  const n = (constants.signals as Record<string, number | undefined>)[report.signal];
  return n !== undefined && exitCode === 128 + n;
}

const SPAWN_ERROR = /(?:^|\n)sandbox-perf-launcher 1 spawn-error (\d{1,4})(?: ([0-9a-f]{32}))?\n$/;

/**
 * The errno of a command the launcher could not start (its report's other form), or null; with
 * `key`, only a line that ends with it (`stderr-key` mode: one the launcher wrote).
 */
export function launcherSpawnError(text: string, key: string | null = null): number | null {
  const match = SPAWN_ERROR.exec(text);
  if (match === null || (key !== null && match[2] !== key)) return null;
  return Number(match[1]);
}

/**
 * Length of what the launcher added at the end of standard error `text`: its report line and the
 * newline it wrote before it (to cut both off, leaving the command's output as it wrote it), or 0.
 */
export function reportLineLength(text: string): number {
  return lastLine(text, 'stderr')?.[0].length ?? 0;
}

/**
 * performance.now() of a CLOCK_MONOTONIC reading: Node's clock is uv_hrtime, the same clock, so the
 * offset between the two is fixed; it is read once per run (two clock reads, under a microsecond apart).
 */
export function monotonicToPerformance(ns: bigint, offsetMs: number): number {
  return Number(ns) / 1e6 - offsetMs;
}

export function performanceOffsetMs(): number {
  return Number(process.hrtime.bigint()) / 1e6 - performance.now();
}

/**
 * A streaming listener that never shows the launcher's line: where it reports on standard error,
 * the last {@link HELD_BYTES} bytes of standard error are held back until `finish()`, which passes
 * them on without the report line. Everything else is passed on as it comes.
 */
export const HELD_BYTES = 256;

export function holdBackReport(listener: OutputListener | undefined): { listener: OutputListener | undefined; finish(): void } {
  if (listener === undefined) return { listener, finish: () => undefined };
  let held: Buffer = Buffer.alloc(0);
  return {
    listener(stream, chunk) {
      if (stream !== 'stderr') {
        listener(stream, chunk);
        return;
      }
      held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      if (held.length > HELD_BYTES) {
        const out = held.subarray(0, held.length - HELD_BYTES);
        held = Buffer.from(held.subarray(held.length - HELD_BYTES));
        listener('stderr', out);
      }
    },
    finish() {
      const rest = held.subarray(0, held.length - reportLineLength(held.toString('latin1')));
      held = Buffer.alloc(0);
      if (rest.length > 0) listener('stderr', rest);
    },
  };
}
