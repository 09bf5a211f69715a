import type { BackendName } from '../types';

/**
 * The exact command line a host backend's run executes and times (HostBackend.commandLine), so
 * that anyone can time the same line with hyperfine: `run --print-command` prints it, `run --json`
 * carries it.
 */
export interface CommandLine {
  backend: BackendName;
  /** What a run executes, as given to execve (argv[0] looked up on `env.PATH`). */
  argv: string[];
  /**
   * The same line for `hyperfine -N`: the launcher reports on standard error (which hyperfine
   * discards) instead of descriptor 3 (which hyperfine does not open). Otherwise `argv`.
   */
  hyperfine: string[];
  /** The command's whole environment (hyperfine passes its own: run it under `env -i` with these). */
  env: Record<string, string>;
  cwd: string;
  /** `spawner`: the line is exec'd by the spawner, which times it; `node`: spawned by Node (no spawner). */
  timer: 'spawner' | 'node';
  /** What the spawner does in each run's untimed set-up, before its clock starts: not in the line. */
  beforeEachRun: string[];
  /** The directory `prepare` built for the line (the sandbox's root), or null. */
  prepared: string | null;
}

/** What the spawner does in each run's untimed set-up (CommandLine.beforeEachRun); nothing from Node. */
export function beforeEachRun(
  spawned: boolean,
  noNewPrivs: boolean,
  freezer: string | null,
  accounted: boolean,
  pids: { root: string; max: number } | null = null,
): string[] {
  const steps = spawned
    ? ["a process group of its own (in the spawner's session, without a controlling terminal)", 'parent-death signal SIGKILL']
    : [];
  if (spawned && noNewPrivs) steps.push('no_new_privs');
  if (freezer !== null) steps.push(`join a cgroup v1 freezer group under ${freezer}/sandbox-perf`);
  if (pids !== null) steps.push(`join a cgroup v1 pids group (pids.max ${pids.max}) under ${pids.root}/sandbox-perf`);
  if (accounted) steps.push("join the run's cgroup v1 memory, cpu and cpuacct groups under sandbox-perf/");
  return steps;
}
