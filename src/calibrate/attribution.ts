/*
 * Where a command's cost of isolation goes on one backend (pure): its operation counts times the
 * backend's calibrated cost per operation less the baseline's, plus the difference in starting the
 * command (the `noop` runs' mean). The shares sum to the predicted in-command cost by construction.
 *
 * CPU is counted as user CPU time on the host; it becomes calibration steps through the
 * baseline's cost per step, so its share is userMs · (cost_backend / cost_baseline − 1).
 *
 * Calls made on the command's other threads (profile.ts `onThreads`) overlap: each class's share
 * counts them at the class's cost T, and the share `thread` takes it back in two parts. (1 − r)·T
 * of it, r being what a call costs on 4 threads at once against on one (the classes `thread` and
 * `syscall`, their differences from the baseline), between 0 and 1: the other threads' calls
 * overlap one another. Where the backend's one-thread call costs no more than the baseline's (its
 * interval holds 0), nothing of this: r = 1. And the rest, r·T, where positive, as far as the
 * machine serves them beside the main thread's own run M (its CPU time plus its own calls' cost
 * on the backend: the other shares less T). A pool thread's calls run while the main thread
 * computes and makes its own, on the second core; they lengthen the run only where they outlast
 * what the machine does beside it. 4 threads' calls took r of one thread's time, so beside one
 * thread the machine does 1/r − 1 times its work: in M, (1/r − 1)·M of one-thread work, r·T's
 * share of it taken back being min(r·T, (1 − r)·M). Quiet (r ≈ 0.3) that is all of r·T on npm
 * ci; under load r nears 1 and nothing is. npm ci on gVisor: from 71 to 152 packages the calls on
 * its other threads grew by 27 000 and its main thread's by 9 000, the measured cost by 0.3 s,
 * the prediction that priced r·T by 1.5 s (docs/calibration.md).
 *
 * Clock reads cost gVisor a system call each only in its first CLOCK_WINDOW_MS (classes.ts): the
 * reads priced are those that fall in it. Taken as spread evenly over the command's run on the
 * backend, whose length is its CPU time T on the host (the profile's) plus the other shares' cost
 * O plus its K reads at c ms each if all were slow: window · K / (T + O + c·K) of them, at most K.
 * So a command that reads the clock all the time pays at most the window. Evenly is an
 * approximation: npm ci reads the clock mostly after its start, which its file opens and stats
 * slow down on gVisor (docs/calibration.md).
 *
 * Interval: the shares' half-widths added in quadrature: each class has a fit of its own, so
 * their errors are independent; the counts are taken as exact (`--check` shows how it holds).
 */
import type { Interval } from '../stats/intervals';
import { CLASSES, CLOCK_WINDOW_MS, classOf, type ClassName } from './classes';
import type { BackendCalibration } from './fitCalibration';
import type { OperationCounts } from './profile';

export interface Share {
  /** A class, or `start` for the command's own start. */
  class: ClassName | 'start';
  label: string;
  /** Operations counted (calibration steps for `cpu`, 1 for `start`). */
  operations: number;
  ms: number;
  /** Its half-width (95 %). */
  plusMinusMs: number;
}

export interface Attribution {
  backend: string;
  /** Predicted in-command cost of isolation (ms), with its 95 % interval. */
  inCommand: Interval;
  /** Largest share first. */
  shares: Share[];
}

function halfWidth(interval: Interval | null): number {
  return interval === null ? 0 : (interval.high - interval.low) / 2;
}

const cost = (c: BackendCalibration, name: ClassName) => c.costs.find((k) => k.class === name);

/** r (above) with its half-width, or null when the calibration has no `thread` class (older ones). */
export function threadOverlap(backend: BackendCalibration): { ratio: number; plusMinus: number } | null {
  const one = cost(backend, 'syscall')?.deltaMsPerOp ?? null;
  const four = cost(backend, 'thread')?.deltaMsPerOp ?? null;
  if (one === null || four === null) return null;
  if (one.low <= 0) return { ratio: 1, plusMinus: 0 };
  const ratio = four.estimate / one.estimate;
  const relative = Math.hypot(halfWidth(four) / four.estimate, halfWidth(one) / one.estimate);
  const clamped = Math.min(1, Math.max(0, ratio));
  return { ratio: clamped, plusMinus: Number.isFinite(relative) ? Math.abs(clamped * relative) : 0 };
}

/**
 * The clock reads that fall in the first CLOCK_WINDOW_MS of the command's run on a backend where
 * each costs `msPerRead` and its other operations `otherMs` more than on the host (above).
 */
export function readsInWindow(counts: OperationCounts, msPerRead: number, otherMs: number): number {
  if (counts.clock <= 0) return 0;
  const runMs = Math.max(counts.cpu, 1) + Math.max(otherMs, 0) + Math.max(msPerRead, 0) * counts.clock;
  return Math.min(counts.clock, (CLOCK_WINDOW_MS * counts.clock) / runMs);
}

export function attribute(
  counts: OperationCounts,
  backend: BackendCalibration,
  baseline: BackendCalibration,
  onThreads?: OperationCounts,
): Attribution {
  const baseCpu = cost(baseline, 'cpu')?.msPerOp.estimate ?? Number.NaN;
  const shares: Share[] = [];
  if (backend.deltaStartMs !== null) {
    shares.push({
      class: 'start',
      label: 'start',
      operations: 1,
      ms: backend.deltaStartMs.estimate,
      plusMinusMs: halfWidth(backend.deltaStartMs),
    });
  }
  let threaded = 0;
  for (const c of CLASSES) {
    // The clock after the others (below); the overlap of other threads' calls after the loop.
    if (c.name === 'thread' || c.name === 'clock') continue;
    const delta = cost(backend, c.name)?.deltaMsPerOp ?? null;
    if (delta === null) continue;
    threaded += (onThreads?.[c.name] ?? 0) * delta.estimate;
    const operations = c.name === 'cpu' ? (baseCpu > 0 ? counts.cpu / baseCpu : 0) : counts[c.name];
    shares.push({ class: c.name, label: c.label, operations, ms: operations * delta.estimate, plusMinusMs: operations * halfWidth(delta) });
  }
  const overlap = threadOverlap(backend);
  // The main thread's run on the backend: the command's CPU and the cost of its own calls.
  const mainMs = counts.cpu + shares.reduce((sum, s) => sum + s.ms, 0) - threaded;
  const hidden = overlap === null ? 0 : Math.min(Math.max(overlap.ratio * threaded, 0), (1 - overlap.ratio) * Math.max(mainMs, 0));
  if (overlap !== null && overlap.ratio < 1 && counts.thread > 0) {
    const ms = -(1 - overlap.ratio) * threaded - hidden;
    shares.push({
      class: 'thread',
      label: classOf('thread').label,
      operations: counts.thread,
      ms,
      plusMinusMs: Math.abs(threaded) * overlap.plusMinus,
    });
  }
  // How many clock reads are priced depends on the others' cost: the clock last.
  const clock = cost(backend, 'clock');
  if (clock?.deltaMsPerOp != null) {
    const otherMs = shares.reduce((sum, s) => sum + s.ms, 0);
    const operations = readsInWindow(counts, clock.msPerOp.estimate, otherMs);
    const delta = clock.deltaMsPerOp;
    shares.push({
      class: 'clock',
      label: classOf('clock').label,
      operations,
      ms: operations * delta.estimate,
      plusMinusMs: operations * halfWidth(delta),
    });
  }
  const ms = shares.reduce((sum, s) => sum + s.ms, 0);
  const margin = Math.sqrt(shares.reduce((sum, s) => sum + s.plusMinusMs ** 2, 0));
  shares.sort((a, b) => Math.abs(b.ms) - Math.abs(a.ms));
  return {
    backend: backend.backend,
    inCommand: { estimate: ms, low: ms - margin, high: ms + margin, level: 0.95, method: 'sum of shares' },
    shares,
  };
}

/** `+1.2 ms`, `−0.3 ms`: the minus sign (U+2212) the CLI's other signed figures use. */
const signedMs = (ms: number) => `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(1)} ms`;

/**
 * "gvisor: 64 % file opens, 22 % stats, 9 % process starts, 5 % the rest" (shares of the sum; `top`
 * named). Where the sum's interval holds 0, shares of it mean nothing (a sum of -3 ms made +52 ms
 * read "-1733 %"), and of a negative sum every sign flips (-0.18 ms made a +0.04 ms part read
 * "-21 %"): the parts are given in milliseconds instead.
 */
export function attributionLine(attribution: Attribution, top = 4): string {
  const total = attribution.inCommand.estimate;
  if (total === 0 || attribution.shares.length === 0) return `${attribution.backend}: nothing to attribute`;
  const { low, high } = attribution.inCommand;
  const unresolved = low <= 0 && high >= 0;
  if (unresolved || total < 0) {
    const parts = attribution.shares.slice(0, top).map((s) => `${signedMs(s.ms)} ${s.label}`);
    return (
      `${attribution.backend}: ${signedMs(total)} [${signedMs(low)} … ${signedMs(high)}], ${unresolved ? 'not resolved from 0' : 'below 0'}; ` +
      `the largest parts: ${parts.join(', ')}`
    );
  }
  const percent = (ms: number) => {
    const p = Math.round((ms / total) * 100);
    return `${p < 0 ? '−' : ''}${Math.abs(p)} %`;
  };
  const named = attribution.shares.slice(0, top).map((s) => `${percent(s.ms)} ${s.label}`);
  const rest = attribution.shares.slice(top).reduce((sum, s) => sum + s.ms, 0);
  return `${attribution.backend}: ${[...named, ...(attribution.shares.length > top ? [`${percent(rest)} the rest`] : [])].join(', ')}`;
}
