/*
 * The profiling run's process: unsandboxed by design, but it must end when it ends. It runs in a
 * process group of its own and, where cgroup v1's freezer is writable (root), in a containment
 * group of its own (containmentGroup.ts, the one `none` uses to contain a run alone): every process
 * the command starts is in it, a setsid or double-forked one included. When the command ended,
 * at the timeout and on SIGINT/SIGTERM/SIGHUP (inFlightRuns), everything it started is killed and
 * the group removed; a runner that died of SIGKILL leaves a group the host backends' sweep removes.
 * The counter itself is spared once it said how the command ended: it still unregisters its
 * events; it is reaped when it exits (the process waits for it), and what is left is killed then.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { logOnce } from '../log';
import { afterSignalCleanup, registerRun } from '../runners/inFlightRuns';
import { groupMembers, killProcessGroup } from '../runners/processGroup';
import { signalName } from '../runners/signalName';
import { JOIN_SCRIPT } from '../runners/host/cgroupV1';
import { ContainmentGroup, probeFreezer } from '../runners/host/containmentGroup';
import { findExecutable, whyNotExecutable } from '../runners/host/hostProcess';

/** What the counter says on its descriptor 3 once its counts are written: how the command ended. */
const ENDED = /^(exit|signal) (\d+)\n$/;

export interface Ran {
  exitCode: number | null;
  /** The signal that killed the command (`SIGSEGV`), when one did: then exitCode is null. */
  signal: string | null;
  /** The end of what it wrote on stderr (the command's too). */
  stderr: string;
}

/** A group of its own, or null where none can be made (not root, no v1 freezer): the process group alone is then killed. */
function containment(): ContainmentGroup | null {
  const freezer = probeFreezer().root;
  if (freezer === null) return null;
  try {
    return new ContainmentGroup({ freezer, pids: null });
  } catch (error) {
    logOnce(error, 'predict: no containment group for the profiling run; a process that leaves its process group may outlive it');
    return null;
  }
}

export interface ProfiledRunOptions {
  /** The environment of the run, the command's (the one every backend gives it: environment.ts). */
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  /**
   * The counter's (`sandbox-perf-calib count`): its descriptor 3 is a pipe on which it says how
   * the command ended once its counts are written (`exit CODE` or `signal N`), and the run is
   * over then; and the command joins the containment group itself (`-g DIR`, put after `args`'
   * `count FILE`), while the counter opens its events. The kernel makes each wait a grace period
   * (a cgroup migration, a uprobe's registration): side by side they cost one, 9 ms less than the
   * join script's migration before the counter starts (native/calib.c: `true` 34 -> 25 ms).
   */
  counter?: boolean;
  /**
   * The counter runs under a tracer (`strace -f … -- sandbox-perf-calib count -n 3 …`), which
   * holds descriptor 3 open too and writes its summary only when its last tracee is gone: when the
   * counter says how the command ended, everything the run started but the tracer is killed (a
   * background process would otherwise keep the tracer, and the run, waiting until the timeout),
   * and the run is over when the tracer ends.
   */
  traced?: boolean;
}

/**
 * Runs `file` as described above. At `timeoutMs` it is killed, everything it started with it, and
 * the promise rejects.
 */
export function runProfiled(file: string, args: readonly string[], cwd: string, options: ProfiledRunOptions): Promise<Ran> {
  const { env, timeoutMs, counter = false, traced = false } = options;
  // Found here, not by spawn: the join script's exec of a missing program would exit 127 unexplained.
  const program = findExecutable(file, env.PATH ?? '', cwd);
  if (program === null) {
    const why = whyNotExecutable(file, env.PATH ?? '', cwd);
    return Promise.reject(new Error(`predict: cannot start ${file} (${why})${file === 'strace' ? ': apt-get install strace' : ''}`));
  }
  const group = containment();
  const argv =
    group === null
      ? [program, ...args]
      : counter
        ? // `count FILE`, then its options: the groups among them.
          [program, ...args.slice(0, 2), ...group.dirs.flatMap((dir) => ['-g', dir]), ...args.slice(2)]
        : ['/bin/sh', '-c', JOIN_SCRIPT, 'sandbox-perf-join', String(group.dirs.length), ...group.dirs, program, ...args];
  return new Promise<Ran>((resolve, reject) => {
    // The join script execs the program: its pid is the child's, the counter's or strace's.
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd,
      env,
      stdio: ['ignore', 'ignore', 'pipe', ...(counter || traced ? (['pipe'] as const) : [])],
      detached: true,
    });
    const killEverything = (): void => {
      killProcessGroup(child.pid);
      group?.killAll();
    };
    const closed = new Promise<void>((done) => {
      child.once('close', () => done());
      child.once('error', () => done());
    });
    const gone = closed.then(async () => {
      // What it left in its process group or its containment group: nothing outlives the run.
      killEverything();
      await group?.remove();
    });
    const unregister = registerRun(`predict's profiling run (pid ${String(child.pid)})`, async () => {
      killEverything();
      await gone;
    });
    void gone.finally(unregister);
    const timer = setTimeout(() => {
      killEverything();
      finish(() => {
        reject(
          new Error(
            `predict: the profiling run took over ${timeoutMs} ms (--timeout ${timeoutMs}): killed it and every process in its group`,
          ),
        );
      });
    }, timeoutMs);
    let settled = false;
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      settle();
    };
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096);
    });
    child.on('error', (error) => {
      // spawn's ENOENT names the program when it is the working directory that is gone (a -p hook removed it).
      const why = fs.existsSync(cwd) ? error.message : `the working directory ${cwd} no longer exists`;
      finish(() => {
        reject(new Error(`predict: cannot start ${file} (${why})`));
      });
    });
    // A process it left holding stderr open would keep 'close' from coming: it dies with the run.
    child.on('exit', killEverything);
    child.on('close', (code, signal) => {
      // Killed by a signal's cleanup: not reported as a run that left no counts.
      void afterSignalCleanup().then(() => {
        finish(() => {
          resolve({ exitCode: code, signal: code === null ? signal : null, stderr });
        });
      });
    });
    const notify = child.stdio[3] as Readable | null | undefined;
    if (traced && notify && child.pid !== undefined) {
      const tracer = child.pid;
      let said = '';
      notify.setEncoding('utf8');
      // A line, not the end: the tracer holds the pipe open until it exits.
      notify.on('data', (chunk: string) => {
        said += chunk;
        if (!ENDED.test(said)) return;
        notify.removeAllListeners('data');
        void killLeftBehind(tracer, group);
      });
    }
    if (counter && notify) {
      let said = '';
      notify.setEncoding('utf8');
      notify.on('data', (chunk: string) => {
        said += chunk;
      });
      notify.on('end', () => {
        const m = ENDED.exec(said);
        if (m === null) return;
        // The command ended: what it left goes now, not once the counter is done (a --check would measure beside it).
        if (child.pid !== undefined) group?.killAll(child.pid);
        finish(() => {
          resolve({ exitCode: m[1] === 'exit' ? Number(m[2]) : null, signal: m[1] === 'signal' ? signalName(Number(m[2])) : null, stderr });
        });
        // Nothing more to read.
        child.stderr?.destroy();
      });
    }
  });
}

/**
 * Once the counter under a tracer said how the command ended: waits for the counter (the tracer's
 * child) to exit, up to 5 s, so that the tracer sees it end as it did, then kills what else the run
 * left, in its process group and its containment group, but the tracer, which then writes its
 * summary and exits.
 */
async function killLeftBehind(tracer: number, group: ContainmentGroup | null): Promise<void> {
  const counters = groupMembers(tracer).filter((m) => m.ppid === tracer && !m.zombie);
  for (let wait = 0; wait < 500; wait++) {
    const alive = new Set(groupMembers(tracer).flatMap((m) => (m.zombie ? [] : [m.pid])));
    if (!counters.some((c) => alive.has(c.pid))) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  group?.killAll(tracer);
  for (const m of groupMembers(tracer)) {
    if (m.pid === tracer) continue;
    try {
      process.kill(m.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}
