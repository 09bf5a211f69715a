/**
 * Automatic warm-up (`--warmup auto`). First-run effects (a cold page cache, image layers read
 * from disk, a JIT or a container runtime loading) make the first runs slower than the steady
 * state, and they fade over a run or a few. Rule: keep running untimed rounds until, for every
 * backend, the last two warm-up runs differ by at most 10 % of the faster of the two; at least 2
 * and at most 10 rounds. A failed run counts as not warm yet.
 */
export const AUTO_WARMUP = { tolerance: 0.1, minRounds: 2, maxRounds: 10 } as const;

/** True when one backend's warm-up durations (null = failed) show no first-run effect any more. */
export function isWarm(durations: readonly (number | null)[], tolerance: number = AUTO_WARMUP.tolerance): boolean {
  if (durations.length < 2) return false;
  const last = durations[durations.length - 1];
  const previous = durations[durations.length - 2];
  if (last === null || last === undefined || previous === null || previous === undefined) return false;
  return Math.abs(last - previous) <= tolerance * Math.min(last, previous);
}

/** Whether the warm-up may end after these rounds (one array of durations per backend). */
export function warmupDone(perBackend: readonly (readonly (number | null)[])[]): boolean {
  const rounds = Math.min(...perBackend.map((d) => d.length));
  if (rounds < AUTO_WARMUP.minRounds) return false;
  if (rounds >= AUTO_WARMUP.maxRounds) return true;
  return perBackend.every((d) => isWarm(d));
}
