import type { ThroughputFigures } from '../../compare/throughput';
import { formatMs, type Colours, type TimeFormat } from '../terminal';

function loadText(t: ThroughputFigures): string {
  return t.mode === 'closed' ? `${t.concurrency ?? 0} in flight` : `${t.rate ?? 0}/s arrivals`;
}

function waitsText(t: ThroughputFigures, time: TimeFormat): string {
  if (t.waits === null) return 'no pool: each run starts its own sandbox (in its latency)';
  const w = t.waits;
  return `${w.waited} of ${t.runs} waited; wait p50 ${time(w.p50Ms)}, p99 ${time(w.p99Ms)}, total ${time(w.totalMs)}`;
}

function freshText(t: ThroughputFigures, c: Colours): string {
  if (t.backend === 'none') return 'no sandbox: the host itself';
  return t.freshPerRun ? 'a fresh sandbox per run' : c.yellow('one sandbox shared by every run');
}

/**
 * One line per backend and load (`--concurrency`, `--rate`): runs per second, per-run latency
 * p50 / p99, a pool's waits for a sandbox, and whether each run had a fresh sandbox.
 */
export function throughputLines(figures: readonly ThroughputFigures[], c: Colours, time: TimeFormat = formatMs): string[] {
  if (figures.length === 0) return [];
  const out = ['', `${c.bold('Under load')} (each backend in turn, after the rounds; not recorded in the history)`];
  const name = Math.max(...figures.map((t) => t.backend.length));
  const load = Math.max(...figures.map((t) => loadText(t).length));
  for (const t of figures) {
    const latency = t.latency === null ? c.red('no successful run') : `latency p50 ${time(t.latency.p50Ms)}, p99 ${time(t.latency.p99Ms)}`;
    out.push(
      `  ${c.cyan(t.backend.padEnd(name))}  ${loadText(t).padEnd(load)}  ${c.bold(`${t.runsPerSecond.toFixed(t.runsPerSecond >= 100 ? 0 : 1)} runs/s`)}` +
        `  ${latency}  (${t.runs} runs${t.failures > 0 ? `, ${c.yellow(`${t.failures} failed`)}` : ''}, peak ${t.peakInFlight} in flight)`,
      `  ${' '.repeat(name)}  ${waitsText(t, time)}; ${freshText(t, c)}`,
    );
    if (t.failures > 0 && t.firstError !== null) out.push(`  ${' '.repeat(name)}  first failure: ${t.firstError}`);
  }
  return out;
}
