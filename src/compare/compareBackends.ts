import os from 'node:os';
import { createBackend } from '../runners/createBackend';
import { runInSandbox } from '../runners/runInSandbox';
import { StderrTail } from './StderrTail';
import type { BackendName, SandboxBackend, SandboxOptions, SandboxResult } from '../runners/types';
import type { SandboxPerfMonitor } from '../sandbox/SandboxPerfMonitor';
import { summarize, type SampleSummary } from '../stats/descriptive';
import { outlierIndexes } from '../stats/outliers';
import { differenceWithError, ratioWithError, type Difference, type Ratio } from '../stats/ratio';

export interface CompareOptions {
  backends: readonly BackendName[];
  command: readonly string[];
  /** Timed runs per backend. */
  runs: number;
  /** Untimed runs per backend first (page cache, image layers, JIT of the runner); not recorded. */
  warmup: number;
  timeoutMs?: number;
  sandbox?: SandboxOptions;
  monitor: SandboxPerfMonitor;
  onRun?: (backend: BackendName, result: SandboxResult) => void;
}

export interface PhaseSummary {
  phase: string;
  meanMs: number;
  medianMs: number;
}

export interface BackendComparison {
  backend: BackendName;
  /** Durations of the successful timed runs, in run order (ms, from the monitor's records). */
  durationsMs: number[];
  failures: number;
  /** The first failure's reason, if any. */
  firstError: string | null;
  summary: SampleSummary;
  /** Indexes into durationsMs flagged by the modified z-score (MAD). */
  outliers: number[];
  phases: PhaseSummary[];
  /** Mean against the baseline's mean, "X ± Y times"; null for the baseline or a zero mean. */
  ratio: Ratio | null;
  /** Mean minus the baseline's mean, ms ± propagated σ; null for the baseline. */
  overheadMs: Difference | null;
  prepareMs: number;
  teardownMs: number;
}

export interface ComparisonResult {
  command: string[];
  runs: number;
  warmup: number;
  baseline: BackendName;
  startedAt: string;
  machine: { node: string; platform: string; cpus: number; cpuModel: string };
  backends: BackendComparison[];
}

/** How a failed run is told: its error, and the last line it wrote to stderr (what hyperfine users look for). */
export function describeFailure(result: SandboxResult | undefined): string | null {
  if (result === undefined) return null;
  const lastLine = result.stderr.trimEnd().split('\n').pop()?.trim() ?? '';
  if (lastLine === '' || (result.error ?? '').includes(lastLine)) return result.error ?? result.outcome;
  const shown = lastLine.length > 200 ? `${lastLine.slice(0, 200)}…` : lastLine;
  return `${result.error ?? result.outcome}; its stderr ends with: ${shown}`;
}

/**
 * Runs the command on every backend, interleaved (A B C A B C …) so that drifting machine load
 * hits every backend alike, and summarises each backend against the baseline (`none` when it
 * is compared, else the first backend). Every timed run is recorded through the monitor.
 */
export async function compareBackends(options: CompareOptions): Promise<ComparisonResult> {
  const { backends: names, command, runs, warmup, monitor } = options;
  const startedAt = new Date().toISOString();
  const backends: SandboxBackend[] = [];
  const prepareMs: number[] = [];
  const teardownMs: number[] = names.map(() => 0);
  let tornDown = false;
  const teardownAll = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    for (let b = 0; b < backends.length; b++) {
      const t = performance.now();
      await (backends[b] as SandboxBackend).teardown().catch(() => undefined);
      teardownMs[b] = performance.now() - t;
    }
  };
  try {
    for (const name of names) {
      const backend = createBackend(name, options.sandbox ?? {});
      const t = performance.now();
      await backend.prepare();
      prepareMs.push(performance.now() - t);
      backends.push(backend);
    }
    const runOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
    // Output is not kept (maxOutputBytes 0): only a bounded tail of stderr, for failure messages.
    for (let i = 0; i < warmup; i++) {
      for (const backend of backends) await backend.run(command, { ...runOptions, maxOutputBytes: 0 });
    }
    const results: SandboxResult[][] = names.map(() => []);
    const durations: number[][] = names.map(() => []);
    const failedBefore: boolean[] = names.map(() => false);
    for (let i = 0; i < runs; i++) {
      for (let b = 0; b < backends.length; b++) {
        const backend = backends[b] as SandboxBackend;
        const tail = new StderrTail();
        const run = await runInSandbox(backend, command, { ...runOptions, monitor, maxOutputBytes: 0, onOutput: tail.listener });
        const { record } = run;
        // Only the first failure's message is reported: only its tail is kept.
        const first = run.result.outcome !== 'success' && !(failedBefore[b] ?? false);
        if (first) failedBefore[b] = true;
        const result = first ? { ...run.result, stderr: tail.text() } : run.result;
        (results[b] as SandboxResult[]).push(result);
        if (result.outcome === 'success') (durations[b] as number[]).push(record.durationMs);
        options.onRun?.(backend.name, result);
      }
    }
    await teardownAll();
    const baselineIndex = Math.max(0, names.indexOf('none'));
    const baselineSummary = summarize(durations[baselineIndex] as number[]);
    return {
      command: [...command],
      runs,
      warmup,
      baseline: names[baselineIndex] as BackendName,
      startedAt,
      machine: {
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
      },
      backends: names.map((backend, b): BackendComparison => {
        const d = durations[b] as number[];
        const r = results[b] as SandboxResult[];
        const summary = summarize(d);
        const isBaseline = b === baselineIndex;
        const failed = r.filter((x) => x.outcome !== 'success');
        return {
          backend,
          durationsMs: d,
          failures: failed.length,
          firstError: describeFailure(failed[0]),
          summary,
          outliers: outlierIndexes(d),
          phases: summarizePhases(r),
          ratio:
            isBaseline || summary.count === 0 || baselineSummary.count === 0
              ? null
              : ratioWithError(summary.meanMs, summary.stddevMs, baselineSummary.meanMs, baselineSummary.stddevMs),
          overheadMs:
            isBaseline || summary.count === 0 || baselineSummary.count === 0
              ? null
              : differenceWithError(summary.meanMs, summary.stddevMs, baselineSummary.meanMs, baselineSummary.stddevMs),
          prepareMs: prepareMs[b] ?? 0,
          teardownMs: teardownMs[b] ?? 0,
        };
      }),
    };
  } finally {
    await teardownAll();
  }
}

function summarizePhases(results: readonly SandboxResult[]): PhaseSummary[] {
  const byPhase = new Map<string, number[]>();
  for (const r of results) {
    if (r.outcome !== 'success') continue;
    for (const [phase, ms] of Object.entries(r.phases)) {
      let list = byPhase.get(phase);
      if (!list) byPhase.set(phase, (list = []));
      list.push(ms);
    }
  }
  return [...byPhase].map(([phase, values]) => {
    const s = summarize(values);
    return { phase, meanMs: s.meanMs, medianMs: s.medianMs };
  });
}
