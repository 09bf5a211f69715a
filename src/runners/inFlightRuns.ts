/**
 * The runs in flight in this process, so that SIGINT or SIGTERM stops and cleans every one of them
 * before the process exits: a run (host process group, cgroup, container, pool member) that
 * outlived its runner would go on using the host, and for a hostile command, go on attacking it.
 *
 * Usage: right after a run has something to clean (a spawned process, a created container), call
 * `const done = registerRun('docker container abc123', async (signal) => { ...kill and remove... })`;
 * call `done()` when the run ended and was cleaned normally (`done` is idempotent). The cleanup
 * must stop the run for good and settle within a few seconds; it runs at most once, and never
 * together with `done()`'s path having already finished. Signal handlers are installed only while
 * at least one run is in flight (a process with no run is left alone). On a signal every cleanup
 * runs (each bounded by CLEANUP_TIMEOUT_MS), then the signal is re-raised with its default action
 * unless another listener (e.g. the CLI's own shutdown, the database's exit hook) still handles it,
 * so the exit status says "killed by SIGTERM" as it would have without us. A run registered while
 * the process is stopping is cleaned at once. A second signal during the cleanup
 * exits at once when nobody else handles it. A run that ended awaits `afterSignalCleanup()` before
 * reporting, so that a run the signal killed is not reported as an ordinary failure.
 *
 * A temporary directory a run writes in (predict's profile, calibrate's workdir) is registered
 * with `makeTempDir`: the re-raised signal ends the process without its `finally`, so the
 * signal removes it, after every run's cleanup (a run killed meanwhile may still be writing in it).
 * Anything else a run set up on the host and undoes after it (a layer, a mount on it, a cgroup) is
 * registered with `registerTeardown`: undone after every run's cleanup too, one at a time, newest
 * first, as nested `finally` blocks would (a mount made on a layer is detached before the layer goes).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log, logOnce } from '../log';
import { dieOfSignal } from '../signalDeath';

export type RunCleanup = (signal: NodeJS.Signals) => void | Promise<void>;

interface InFlightRun {
  what: string;
  cleanup: RunCleanup;
  cleaned: boolean;
  /** A teardown (registerTeardown): undone once every run's cleanup is over, newest first. */
  last: boolean;
}

/** How long one cleanup may take on a signal before the process exits anyway. */
export const CLEANUP_TIMEOUT_MS = 10_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const runs = new Set<InFlightRun>();
/** Cleanups of runs registered while stopping: the signal waits for them too. */
const late = new Set<Promise<void>>();
let installed = false;
let stopping: NodeJS.Signals | null = null;
/** The cleanup round of the signal being handled; settles when it is over and the process lives on. */
let round: Promise<void> | null = null;

function runCleanup(run: InFlightRun, signal: NodeJS.Signals): Promise<void> {
  if (run.cleaned) return Promise.resolve();
  run.cleaned = true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log(`sandbox-perf: ${signal}: cleaning ${run.what} took over ${CLEANUP_TIMEOUT_MS} ms; exiting anyway`);
      resolve();
    }, CLEANUP_TIMEOUT_MS);
    timer.unref();
  });
  const cleaned = (async () => {
    try {
      await run.cleanup(signal);
    } catch (error) {
      logOnce(error, `sandbox-perf: ${signal}: cleaning ${run.what} failed`);
    }
  })();
  return Promise.race([cleaned, timeout]).finally(() => clearTimeout(timer));
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping !== null) {
    // Asked twice: the operator wants out now (unless someone else handles the signal).
    reraise(signal);
    return;
  }
  stopping = signal;
  if (process.stderr.isTTY) log(`sandbox-perf: ${signal}: stopping ${runs.size} run(s) in flight`);
  const first = [...runs].filter((run) => !run.last);
  round = Promise.all(first.map((run) => runCleanup(run, signal))).then(async () => {
    // Runs registered while stopping (a container whose creation was already asked for) are cleaned too before exit.
    while (late.size > 0) await Promise.all([...late]);
    for (let run = newestTeardown(); run !== undefined; run = newestTeardown()) {
      runs.delete(run);
      await runCleanup(run, signal);
    }
    runs.clear();
    uninstall();
    stopping = null;
    round = null;
    // Only re-raise when nobody else handles the signal: their handler decides how to exit.
    reraise(signal);
  });
}

/** The teardown registered last and still registered (a Set iterates in insertion order). */
function newestTeardown(): InFlightRun | undefined {
  return [...runs].filter((run) => run.last).at(-1);
}

function reraise(signal: NodeJS.Signals): void {
  uninstall();
  if (process.listenerCount(signal) === 0) dieOfSignal(signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

/**
 * Registers a run in flight: `cleanup` stops and cleans it if the process gets SIGINT, SIGTERM or
 * SIGHUP meanwhile. `what` names it in diagnostics (e.g. `bubblewrap run (pid 1234)`). Returns the
 * function that unregisters it once the run ended.
 */
export function registerRun(what: string, cleanup: RunCleanup): () => void {
  return register({ what, cleanup, cleaned: false, last: false });
}

/**
 * Makes something on the host with `make` (a temporary directory, a layer) with its `teardown`
 * registered first: before the first registration the process has no handler for SIGINT, SIGTERM
 * or SIGHUP, and a signal between the making and the registering killed it with the default
 * action, what it made left behind (2 of 12 SIGTERMs sent to calibrate as its working directory
 * appeared, 2026-12-07). Returns what was made and the function that unregisters its teardown.
 */
export function madeWithTeardown<T>(
  what: string,
  make: () => T,
  teardown: (made: T) => void | Promise<void>,
): { made: T; unregister: () => void } {
  let made: { value: T } | null = null;
  const unregister = registerTeardown(what, async () => {
    if (made !== null) await teardown(made.value);
  });
  try {
    made = { value: make() };
  } catch (error) {
    unregister();
    throw error;
  }
  return { made: made.value, unregister };
}

/**
 * A fresh temporary directory (mkdtemp of `parent`/`prefix`) that SIGINT, SIGTERM or SIGHUP
 * removes, after the runs' cleanups; `remove` removes it now and unregisters it.
 */
export function makeTempDir(prefix: string, parent = os.tmpdir()): { dir: string; remove: () => void } {
  const removeDir = (dir: string): void => fs.rmSync(dir, { recursive: true, force: true });
  const { made: dir, unregister } = madeWithTeardown(
    `temporary directory ${path.join(parent, prefix)}*`,
    () => fs.mkdtempSync(path.join(parent, prefix)),
    removeDir,
  );
  return {
    dir,
    remove: () => {
      unregister();
      removeDir(dir);
    },
  };
}

/**
 * Registers what undoes a piece of a run's set-up on the host (removing a layer, detaching a mount,
 * removing a cgroup): SIGINT, SIGTERM or SIGHUP run it after every run's cleanup (the run's
 * processes are gone), one teardown at a time, newest first. Returns the function that unregisters
 * it, for where its owner undid it itself.
 */
export function registerTeardown(what: string, teardown: RunCleanup): () => void {
  return register({ what, cleanup: teardown, cleaned: false, last: true });
}

function register(run: InFlightRun): () => void {
  if (stopping !== null) {
    const cleaning = runCleanup(run, stopping).finally(() => late.delete(cleaning));
    late.add(cleaning);
    return () => undefined;
  }
  runs.add(run);
  install();
  return () => {
    runs.delete(run);
    if (runs.size === 0 && stopping === null) uninstall();
  };
}

/**
 * Await this once a run ended, before reporting its result: while a signal's cleanup round is
 * under way it settles only if the process survives the round (someone else handles the signal),
 * so that a run killed by the round is not reported (with the exit code of a killed command) by
 * a caller racing the re-raised signal. Resolved at once otherwise.
 */
export function afterSignalCleanup(): Promise<void> {
  return round ?? Promise.resolve();
}

/** How many runs are registered (for tests and diagnostics). */
export function inFlightRunCount(): number {
  return runs.size;
}
