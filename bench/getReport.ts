import { Histogram as PromHistogram, Registry } from 'prom-client';
import { SandboxPerfMonitor, type PerfReport } from '../src/sandbox/SandboxPerfMonitor';
import { percentileOfSorted } from '../src/stats/percentile';
import { SeedLiteralMonitor, type SeedReport } from './seedLiteral';
import {
  formatCount,
  formatNs,
  formatPercent,
  lognormalDurations,
  markdownTable,
  measureInterleaved,
  type Contender,
  type ScenarioResult,
  type Stats,
} from './harness';

const SIZES = [1e3, 1e4, 1e5, 1e6, 1e7] as const;
/** The seed literal keeps every record and sorts them all per report: at 1e7 that is ~1 GB and ~10 s a call. */
const SEED_CAP = 1e6;
const WARMUP = 2;
const REPS = 7;
const SUCCESS = { outcome: 'success' } as const;
const PROM_DEFAULT_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Feeds chosen durations through a monitor's real start/stop by replacing its clock: every other
 * read returns 0 (start) and the next duration (stop), so the monitor computes exactly d - 0 = d.
 * Only filling is faked; the report timing uses the real code on the data it produced.
 */
function withFakeClock(clock: { now(): number }, durations: Float64Array, from: number, to: number, pair: () => void): void {
  const own = Object.getOwnPropertyDescriptor(clock, 'now');
  let atStart = true;
  let i = from;
  Object.defineProperty(clock, 'now', {
    configurable: true,
    writable: true,
    value: (): number => {
      atStart = !atStart;
      return atStart ? (durations[i++] as number) : 0;
    },
  });
  try {
    while (i < to) pair();
  } finally {
    if (own) Object.defineProperty(clock, 'now', own);
    else delete (clock as { now?: unknown }).now;
  }
}

/** Prometheus' histogram_quantile: linear interpolation inside the bucket that holds the rank. */
async function promP95Ms(histogram: PromHistogram): Promise<number> {
  const { values } = await histogram.get();
  const buckets = values
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => ({ le: v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le), cumulative: v.value }));
  const total = buckets[buckets.length - 1]?.cumulative ?? 0;
  const rank = 0.95 * total;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i] as { le: number; cumulative: number };
    if (b.cumulative < rank) continue;
    const prev = buckets[i - 1] ?? { le: 0, cumulative: 0 };
    if (b.le === Number.POSITIVE_INFINITY) return prev.le * 1000;
    return (prev.le + ((b.le - prev.le) * (rank - prev.cumulative)) / (b.cumulative - prev.cumulative)) * 1000;
  }
  return Number.NaN;
}

interface SizeResult {
  size: number;
  exactP95: number;
  times: Map<string, Stats>;
  monitorReport: PerfReport;
  seedReport: SeedReport | undefined;
  promP95: number;
}

const MONITOR = 'sandbox-perf getReport';
const SEED = 'seed literal getReport';
const PROM = 'prom-client get() + histogram_quantile';

async function measureSize(size: number, durations: Float64Array): Promise<SizeResult> {
  // The last WARMUP + REPS durations are added one per sample, so each timed report sees new data
  // (the monitor caches its report until the next record) and the final report covers exactly `size`.
  const prefill = size - (WARMUP + REPS);
  const exactP95 = percentileOfSorted(durations.slice(0, size).sort(), 0.95);

  const monitor = new SandboxPerfMonitor({ sink: false });
  const pairMonitor = (): void => {
    monitor.start('sb-1');
    monitor.stop('sb-1', SUCCESS);
  };
  withFakeClock(performance, durations, 0, prefill, pairMonitor);
  let nextMonitor = prefill;
  let monitorReport = monitor.getReport();
  const contenders: Contender[] = [
    {
      name: MONITOR,
      prepare: () => withFakeClock(performance, durations, nextMonitor, ++nextMonitor, pairMonitor),
      run: () => {
        monitorReport = monitor.getReport();
      },
    },
  ];

  let seedReport: SeedReport | undefined;
  if (size <= SEED_CAP) {
    const seed = new SeedLiteralMonitor();
    const pairSeed = (): void => {
      seed.start('sb-1');
      seed.stop('sb-1', SUCCESS);
    };
    withFakeClock(Date, durations, 0, prefill, pairSeed);
    let nextSeed = prefill;
    contenders.push({
      name: SEED,
      prepare: () => withFakeClock(Date, durations, nextSeed, ++nextSeed, pairSeed),
      run: () => {
        seedReport = seed.getReport();
      },
    });
  }

  const histogram = new PromHistogram({ name: 'sandbox_duration_seconds', help: 'Sandbox run duration', registers: [new Registry()] });
  for (let i = 0; i < prefill; i++) histogram.observe((durations[i] as number) / 1000);
  let nextProm = prefill;
  let promP95 = Number.NaN;
  contenders.push({
    name: PROM,
    prepare: () => histogram.observe((durations[nextProm++] as number) / 1000),
    run: async () => {
      promP95 = await promP95Ms(histogram);
    },
  });

  const times = await measureInterleaved(contenders, { ops: 1, warmup: WARMUP, reps: REPS });
  if (monitorReport.count !== size) throw new Error(`getReport bench: the monitor saw ${monitorReport.count} records, expected ${size}`);
  return { size, exactP95, times, monitorReport, seedReport, promP95 };
}

export async function getReportBench(): Promise<ScenarioResult> {
  const all = lognormalDurations(SIZES[SIZES.length - 1] as number);
  const results: SizeResult[] = [];
  for (const size of SIZES) {
    const r = await measureSize(size, all);
    results.push(r);
    console.log(`getReport at ${formatCount(size)}: ${formatNs(r.times.get(MONITOR)?.median ?? Number.NaN)}`);
  }
  const rows = results.map((r) => {
    const error = (r.monitorReport.p95Ms - r.exactP95) / r.exactP95;
    const seed = r.times.get(SEED);
    return [
      formatCount(r.size),
      formatNs(r.times.get(MONITOR)?.median ?? Number.NaN),
      r.monitorReport.p95Exact ? 'exact (ring)' : 'histogram',
      formatPercent(error),
      seed ? formatNs(seed.median) : `not run (capped at ${formatCount(SEED_CAP)})`,
      r.seedReport ? formatPercent((r.seedReport.p95Ms - r.exactP95) / r.exactP95) : 'n/a',
      formatNs(r.times.get(PROM)?.median ?? Number.NaN),
      formatPercent((r.promP95 - r.exactP95) / r.exactP95),
    ];
  });
  const table = markdownTable(
    [
      'records',
      'sandbox-perf getReport',
      'p95 from',
      'p95 error',
      'seed literal getReport',
      'seed p95 error',
      'prom-client read',
      'prom-client p95 error',
    ],
    rows,
    [true, true, false, true, true, true, true, true],
  );
  console.log(table);
  const note = [
    `Durations: lognormal, median 800 ms, σ(log) 0.8, fixed seed; they enter each monitor through its real start/stop with its clock replaced, so the exact p95 (nearest rank on a sorted copy, computed outside the timing) is known.`,
    `One new record before every timed call (the monitor caches its report until the next record), ${WARMUP} warm-up calls discarded, median of ${REPS}; monitor with the default retainSamples (100 000).`,
    `prom-client is read the way a dashboard would, histogram_quantile over its default buckets (${PROM_DEFAULT_BUCKETS_S.join(', ')} s).`,
    `The seed literal is capped at ${formatCount(SEED_CAP)} records: it keeps every record and sorts them all on each report.`,
  ].join(' ');
  return {
    title: 'getReport',
    markdown: `${note}\n\n${table}`,
    // Under 1 ms at every size: exact while the ring holds every record (histogram-narrowed selection), histogram after.
    targets: results.map((r) => {
      const median = r.times.get(MONITOR)?.median;
      return {
        name: `getReport median at ${formatCount(r.size)} records`,
        value: median === undefined ? undefined : median / 1e6,
        op: '<=' as const,
        limit: 1,
        unit: 'ms',
      };
    }),
  };
}
