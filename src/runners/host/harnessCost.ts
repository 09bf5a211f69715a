import { SANDBOX_PATH } from '../environment';
import { DEFAULT_PIDS_LIMIT } from '../options';
import { ContainmentGroup, probeFreezer, probePids } from './containmentGroup';
import { acquireSpawner, releaseSpawner, spawnerStatus } from './Spawner';

/**
 * What the harness itself costs per run, measured the way hyperfine calibrates its shell: runs of
 * nothing through the same path as a real `none` run (the spawner, a parked child in the group
 * `none` joins: its pids group, else its freezer group, where cgroup v1 is writable), whose child
 * exits where it would exec the command.
 */
export interface HarnessCost {
  /** `spawner`: measured; `node`: runs are started from Node (no spawner), nothing measured. */
  timer: 'spawner' | 'node';
  /**
   * Median time inside a run's timed window that is not the command's: the spawner's two clock
   * readings around a child that exits instead of exec'ing (its wake-up, exit and reap). Every
   * host run's duration holds this much of the harness. Null without the spawner.
   */
  insideMs: number | null;
  /**
   * Median of the harness's work around the window, per run, outside every record: the request,
   * the child's fork, set-up and group join, the reap's report and this process's handling of it.
   */
  outsideMs: number | null;
  /** Runs measured. */
  runs: number;
  /** Why nothing was measured (timer `node`), else null. */
  why: string | null;
}

/** Runs of nothing measured at start-up by default. */
export const HARNESS_RUNS = 30;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Measures the harness's own cost per run (`compare` does at start-up and prints it in its header). */
export async function measureHarnessCost(runs = HARNESS_RUNS, cwd = process.cwd()): Promise<HarnessCost> {
  const spawner = await acquireSpawner().catch(() => null);
  if (spawner === null) {
    const why = spawnerStatus().path === null ? spawnerStatus().why : 'the spawner could not start';
    return { timer: 'node', insideMs: null, outsideMs: null, runs: 0, why };
  }
  // As HostBackend.prepare picks none's one group.
  const pids = probePids().root;
  const freezer = pids === null ? probeFreezer().root : null;
  const group =
    pids === null && freezer === null
      ? null
      : new ContainmentGroup({ freezer, pids: pids === null ? null : { root: pids, max: DEFAULT_PIDS_LIMIT } });
  const inside: number[] = [];
  const outside: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const calledAt = performance.now();
      const { done } = spawner.run(
        {
          file: '/bin/true',
          argv: ['true'],
          env: { PATH: SANDBOX_PATH },
          cwd,
          timeoutMs: 10_000,
          noNewPrivs: false,
          reportFd: false,
          probe: true,
          groups: group ? group.dirs : [],
          freezer: group?.freezerDir ?? null,
        },
        () => undefined,
      );
      const ended = await done;
      const totalMs = performance.now() - calledAt;
      if (ended.stage !== 'ran') throw new Error(`sandbox-perf: the harness probe failed at ${ended.stage} (errno ${ended.errno})`);
      const windowMs = Number(ended.endNs - ended.startNs) / 1e6;
      inside.push(windowMs);
      outside.push(totalMs - windowMs);
    }
  } finally {
    await group?.remove();
    releaseSpawner();
  }
  return { timer: 'spawner', insideMs: median(inside), outsideMs: median(outside), runs, why: null };
}
