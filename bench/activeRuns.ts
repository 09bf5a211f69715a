import { ActiveRuns } from '../src/sandbox/ActiveRuns';
import {
  formatCount,
  formatNs,
  formatRatio,
  fullGc,
  markdownTable,
  measureInterleaved,
  ratio,
  type Contender,
  type ScenarioResult,
  type Stats,
} from './harness';

/*
 * The structure that holds the runs in flight, alone: what start/stop pays to find a run's start
 * time. ActiveRuns against the long-lived Map<string, number> with set/delete that the spec
 * describes, both tenured (a runner's monitor is old), with the two clock reads every pair makes.
 */

const IN_FLIGHT = [1, 1_000, 10_000] as const;
const OPS = 40_000;
const WARMUP = 2;
const REPS = 11;
const TENURE_OPS = 200_000;
/** Distinct ids for the "unique ids" case: far more than ActiveRuns keeps between compactions. */
const UNIQUE_IDS = 1 << 18;
/** Distinct ids for the "reused ids" case: a runner with a fixed pool of sandbox names. */
const REUSED_IDS = 1 << 15;

const ACTIVE_RUNS = 'ActiveRuns (sandbox-perf)';
const MAP = 'Map<string, number>, set/delete';

/** What the spec describes: sandboxId → start, set on start, deleted on stop. */
class MapStarts {
  private readonly starts = new Map<string, number>();
  begin(id: string, t: number): boolean {
    if (this.starts.has(id)) return false;
    this.starts.set(id, t);
    return true;
  }
  end(id: string): number | undefined {
    const t = this.starts.get(id);
    if (t !== undefined) this.starts.delete(id);
    return t;
  }
}

/** Keeps the durations observable so that the JIT cannot drop the work. */
export let activeRunsSink = 0;

/*
 * One loop per structure (not one loop over an interface) so that each call site stays
 * monomorphic, as it is in SandboxPerfMonitor.
 */

function activeRunsContender(ids: readonly string[], lag: number): Contender {
  const runs = new ActiveRuns();
  const mask = ids.length - 1;
  for (let i = 0; i < lag; i++) runs.begin(ids[i] as string, performance.now());
  let cursor = lag;
  return {
    name: ACTIVE_RUNS,
    run(ops) {
      let acc = 0;
      for (let k = 0; k < ops; k++) {
        const i = cursor++;
        if (!runs.begin(ids[i & mask] as string, performance.now())) throw new Error('already running');
        acc += performance.now() - (runs.end(ids[(i - lag) & mask] as string) ?? Number.NaN);
      }
      activeRunsSink += acc;
    },
  };
}

function mapContender(ids: readonly string[], lag: number): Contender {
  const starts = new MapStarts();
  const mask = ids.length - 1;
  for (let i = 0; i < lag; i++) starts.begin(ids[i] as string, performance.now());
  let cursor = lag;
  return {
    name: MAP,
    run(ops) {
      let acc = 0;
      for (let k = 0; k < ops; k++) {
        const i = cursor++;
        if (!starts.begin(ids[i & mask] as string, performance.now())) throw new Error('already running');
        acc += performance.now() - (starts.end(ids[(i - lag) & mask] as string) ?? Number.NaN);
      }
      activeRunsSink += acc;
    },
  };
}

function idPool(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i.toString(36).padStart(6, '0')}`);
}

async function measure(ids: readonly string[], inFlight: number): Promise<Map<string, Stats>> {
  const contenders = [activeRunsContender(ids, inFlight - 1), mapContender(ids, inFlight - 1)];
  for (const c of contenders) await c.run(TENURE_OPS);
  fullGc();
  fullGc();
  return measureInterleaved(contenders, { ops: OPS, warmup: WARMUP, reps: REPS });
}

export async function activeRunsBench(): Promise<ScenarioResult> {
  const rows: string[][] = [];
  const pools = [
    { label: 'unique ids', ids: idPool(UNIQUE_IDS, 'run') },
    { label: `${formatCount(REUSED_IDS)} reused ids`, ids: idPool(REUSED_IDS, 'sandbox') },
  ];
  for (const { label, ids } of pools) {
    for (const inFlight of IN_FLIGHT) {
      const results = await measure(ids, inFlight);
      const ours = results.get(ACTIVE_RUNS) as Stats;
      const map = results.get(MAP) as Stats;
      rows.push([label, formatCount(inFlight), formatNs(ours.median), formatNs(map.median), formatRatio(ratio(ours, map))]);
      console.log(`${label}, ${formatCount(inFlight)} in flight: ActiveRuns ${formatNs(ours.median)}, Map ${formatNs(map.median)}`);
    }
  }
  const note = [
    'The structure that holds the runs in flight, alone, with the two clock reads of each pair: one `begin` + one `end` per operation,',
    `${formatCount(OPS)} pairs per sample, ${WARMUP} warm-up samples discarded, median of ${REPS}, the two contenders interleaved.`,
    `Both ran ${formatCount(TENURE_OPS)} pairs and two full GCs before timing: a runner's monitor lives in V8's old generation, where`,
    'set/delete churn on a Map costs about twice what it costs on a young one. ActiveRuns (src/sandbox/ActiveRuns.ts) keeps id → slot',
    'in a Map it only appends to, start times in a Float64Array, and drops finished ids in one rebuild when its slots run out.',
  ].join(' ');
  const table = markdownTable(['ids', 'in flight', 'ActiveRuns', 'long-lived Map', '× Map'], rows, [false, true, true, true, true]);
  return { title: 'Runs in flight: the structure behind start/stop', markdown: `${note}\n\n${table}`, targets: [] };
}
